#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/findings.h"
#include "core/lens.h"
#include "tap.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

/*
 * JSON text in these tests is written with single quotes for readability;
 * they become double quotes before parsing (no test value holds a quote).
 */
static json_t *load(const char *text)
{
	char *t = xstrdup(text);
	json_t *v = NULL;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (jx_load(&v, t, strlen(t), "test JSON") < 0)
		diag("bad test JSON: %s (%s)", t, err_msg());
	free(t);
	return v;
}

static void is_json(const json_t *got, const char *want_text,
		    const char *name)
{
	json_t *want = load(want_text);
	char *g = got ? json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	char *w = want ? json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT)
		       : NULL;

	if (!ok(got && want && json_equal(got, want), "%s", name)) {
		diag("got:  %s", g ? g : "(null)");
		diag("want: %s", w ? w : want_text);
	}
	/* T_LENS_DUMP=1 prints every output, for a JSON Schema check. */
	if (g && getenv("T_LENS_DUMP"))
		printf("# dump: %s\n", g);
	free(g);
	free(w);
	json_decref(want);
}

static void dump_findings(const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		diag("%s %s: %s", f->items[i].code, f->items[i].path,
		     f->items[i].message);
}

static int has_finding(const struct findings *f, const char *code,
		       const char *path, const char *needle1,
		       const char *needle2)
{
	for (size_t i = 0; i < f->nr; i++) {
		const struct finding *it = &f->items[i];

		if (strcmp(it->code, code) || (path && strcmp(it->path, path)) ||
		    it->severity != FINDING_WARNING)
			continue;
		if (needle1 && !strstr(it->message, needle1))
			continue;
		if (needle2 && !strstr(it->message, needle2))
			continue;
		return 1;
	}
	return 0;
}

/* The Catalyst ids -> Optimizely keys of the sample website. */
static const char sample_type_keys[] =
	"{'cmeg00av8q4lbvno60oqlua99':'Author',"
	"'cmeg00bv8q4r2kbsqmyiam2ue':'Article',"
	"'cmeg00dv8q4p2q8pvopdmtbh3':'Product'}";

/*
 * Runs the forward lens; returns the document, or NULL (with the error
 * left in err_msg()).
 */
static json_t *forward(const char *form_text, const char *type_key,
		       const char *prop_keys_text, const char *overlay_text,
		       struct findings *f)
{
	json_t *form = load(form_text);
	json_t *type_keys = load(sample_type_keys);
	json_t *prop_keys = prop_keys_text ? load(prop_keys_text) : NULL;
	json_t *overlay = overlay_text ? load(overlay_text) : NULL;
	struct lens_ctx ctx = { type_key, type_keys, prop_keys, overlay, f };
	json_t *out = (json_t *)&ctx; /* must be reset to NULL on error */

	if (lens_forward(&out, form, &ctx) < 0) {
		if (out)
			diag("*out was not NULL after an error");
		out = NULL;
	}
	json_decref(overlay);
	json_decref(prop_keys);
	json_decref(type_keys);
	json_decref(form);
	return out;
}

/* Sample 08: the UI's Article, all seven UI types, a reference to Author. */
static const char article_form[] =
	"{'id':'cmeg00bv8q4r2kbsqmyiam2ue',"
	"'websiteId':'cmedxk9n20000v8q4website01','name':'Article',"
	"'pluralName':'Articles','icon':'\xf0\x9f\x93\xb0',"
	"'description':'Long-form editorial article','category':'component',"
	"'settings':{'pluralName':'Articles','icon':'\xf0\x9f\x93\xb0',"
	"'description':'Long-form editorial article'},"
	"'fields':{"
	"'title':{'id':'1755226812000_ifypowxg4','label':'Title',"
	"'type':'text','required':true,"
	"'validation':{'minLength':5,'maxLength':120},"
	"'helpText':'Shown as the H1','placeholder':'Enter text...',"
	"'order':0},"
	"'slug':{'id':'1755226814000_j3gmpblqk','label':'URL Slug',"
	"'type':'text','required':true,"
	"'validation':{'pattern':'^[a-z0-9-]+$'},'placeholder':'my-article',"
	"'order':1},"
	"'body':{'id':'1755226816000_997c0don6','label':'Body',"
	"'type':'richText','required':true,"
	"'placeholder':'Enter content...','order':2},"
	"'readingTime':{'id':'1755226818000_3us9gs618',"
	"'label':'Reading Time (min)','type':'number','required':false,"
	"'defaultValue':0,'validation':{'min':1,'max':60,'precision':0},"
	"'order':3},"
	"'featured':{'id':'1755226820000_tcve2dd1u','label':'Featured',"
	"'type':'boolean','required':false,'defaultValue':false,'order':4},"
	"'publishDate':{'id':'1755226822000_wf3t0gb8c',"
	"'label':'Publish Date','type':'date','required':true,"
	"'validation':{'minDate':'2025-01-01','format':'YYYY-MM-DD'},"
	"'order':5},"
	"'heroImage':{'id':'1755226824000_g9tujflss','label':'Hero Image',"
	"'type':'image','required':false,"
	"'validation':{'maxSize':5242880,"
	"'allowedTypes':['image/jpeg','image/png','image/webp']},'order':6},"
	"'author':{'id':'1755226826000_8u0uqmdq3','label':'Author',"
	"'type':'reference','required':true,'order':7}},"
	"'relationships':{'author':{'id':'1755226828000_8wn2mxkds',"
	"'type':'manyToOne','sourceContentTypeId':'cmeg00bv8q4r2kbsqmyiam2ue',"
	"'targetContentTypeId':'cmeg00av8q4lbvno60oqlua99',"
	"'fieldName':'author','isRequired':false}}}";

static const char article_doc[] =
	"{'key':'Article','displayName':'Article',"
	"'description':'Long-form editorial article','baseType':'_component',"
	"'properties':{"
	"'title':{'type':'string','displayName':'Title',"
	"'description':'Shown as the H1','isRequired':true,'sortOrder':0,"
	"'minLength':5,'maxLength':120},"
	"'slug':{'type':'string','displayName':'URL Slug','isRequired':true,"
	"'sortOrder':1,'pattern':'^[a-z0-9-]+$'},"
	"'body':{'type':'richText','displayName':'Body','isRequired':true,"
	"'sortOrder':2},"
	"'readingTime':{'type':'integer','displayName':'Reading Time (min)',"
	"'sortOrder':3,'minimum':1,'maximum':60},"
	"'featured':{'type':'boolean','displayName':'Featured','sortOrder':4},"
	"'publishDate':{'type':'dateTime','displayName':'Publish Date',"
	"'isRequired':true,'sortOrder':5,'minimum':'2025-01-01T00:00:00Z'},"
	"'heroImage':{'type':'contentReference','displayName':'Hero Image',"
	"'sortOrder':6,'allowedTypes':['_image']},"
	"'author':{'type':'contentReference','displayName':'Author',"
	"'isRequired':true,'sortOrder':7,'allowedTypes':['Author']}}}";

static void test_article(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(article_form, "Article", NULL, NULL, &f);

	is_json(doc, article_doc, "sample 08 Article maps every UI type");
	is_int(f.nr, 0, "with nothing to warn about");
	dump_findings(&f);
	json_decref(doc);

	doc = forward(article_form, "Article",
		      "{'title':'headline','slug':'slug','body':'body',"
		      "'readingTime':'readingTime','featured':'featured',"
		      "'publishDate':'publishDate','heroImage':'heroImage',"
		      "'author':'writer'}",
		      NULL, &f);
	ok(doc && json_object_get(json_object_get(doc, "properties"),
				  "headline") &&
		   json_object_get(json_object_get(doc, "properties"),
				   "writer") &&
		   !json_object_get(json_object_get(doc, "properties"),
				    "title"),
	   "persisted property keys are used");
	json_decref(doc);
	findings_release(&f);
}

/* Sample 10: the AI's Product: select with options, gallery, json. */
static const char product_form[] =
	"{'id':'cmeg00dv8q4p2q8pvopdmtbh3',"
	"'websiteId':'cmedxk9n20000v8q4website01','name':'Product',"
	"'pluralName':'Products','icon':'\xf0\x9f\x9b\x8d\xef\xb8\x8f',"
	"'description':'Sellable product','category':'component',"
	"'fields':{"
	"'availability':{'label':'Availability','type':'select',"
	"'required':true,'options':[{'label':'In stock','value':'in_stock'},"
	"{'label':'Out of stock','value':'out_of_stock'},"
	"{'label':'Preorder','value':'preorder'}],"
	"'id':'field_availability_1755226842000_0','order':1},"
	"'name':{'type':'text','required':true,'label':'Product Name',"
	"'order':1,'id':'field_name_1755226843000_1'},"
	"'description':{'type':'richtext','required':true,"
	"'label':'Description','order':2,"
	"'id':'field_description_1755226844000_2'},"
	"'price':{'type':'number','required':true,'label':'Price','order':3,"
	"'id':'field_price_1755226845000_3'},"
	"'sku':{'type':'text','required':true,'label':'SKU','order':4,"
	"'id':'field_sku_1755226846000_4'},"
	"'stock':{'type':'number','required':true,'label':'Stock Quantity',"
	"'order':5,'id':'field_stock_1755226847000_5'},"
	"'images':{'type':'gallery','required':false,"
	"'label':'Product Images','order':7,"
	"'id':'field_images_1755226848000_6'},"
	"'category':{'type':'select','required':true,'label':'Category',"
	"'order':8,'id':'field_category_1755226849000_7'},"
	"'weight':{'type':'number','required':false,'label':'Weight',"
	"'order':9,'id':'field_weight_1755226850000_8'},"
	"'dimensions':{'type':'json','required':false,'label':'Dimensions',"
	"'order':10,'id':'field_dimensions_1755226851000_9'}},"
	"'relationships':{}}";

static const char product_doc[] =
	"{'key':'Product','displayName':'Product',"
	"'description':'Sellable product','baseType':'_component',"
	"'properties':{"
	"'availability':{'type':'string','format':'selectOne',"
	"'enum':[{'value':'in_stock','displayName':'In stock'},"
	"{'value':'out_of_stock','displayName':'Out of stock'},"
	"{'value':'preorder','displayName':'Preorder'}],"
	"'displayName':'Availability','isRequired':true,'sortOrder':1},"
	"'name':{'type':'string','displayName':'Product Name',"
	"'isRequired':true,'sortOrder':1},"
	"'description':{'type':'richText','displayName':'Description',"
	"'isRequired':true,'sortOrder':2},"
	"'price':{'type':'float','displayName':'Price','isRequired':true,"
	"'sortOrder':3},"
	"'sku':{'type':'string','displayName':'SKU','isRequired':true,"
	"'sortOrder':4},"
	"'stock':{'type':'float','displayName':'Stock Quantity',"
	"'isRequired':true,'sortOrder':5},"
	"'images':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['_image']},'displayName':'Product Images',"
	"'sortOrder':7},"
	"'category':{'type':'string','displayName':'Category',"
	"'isRequired':true,'sortOrder':8},"
	"'weight':{'type':'float','displayName':'Weight','sortOrder':9},"
	"'dimensions':{'type':'json','displayName':'Dimensions',"
	"'sortOrder':10}}}";

static void test_product(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(product_form, "Product", NULL, NULL, &f);

	is_json(doc, product_doc,
		"sample 10 Product: select options, gallery, json");
	is_int(f.nr, 0, "with nothing to warn about");
	dump_findings(&f);
	json_decref(doc);
	findings_release(&f);
}

/* Sample 01: the seed's Blog Post (plain array, seed-style keys moved). */
static const char blog_form[] =
	"{'id':'cmeg004v8q4me1fftxjyf2buc',"
	"'websiteId':'cmeg001v8q48mfvlko9frxe53','name':'Blog Post',"
	"'category':'component',"
	"'settings':{'displayName':'Blog Posts','icon':'x',"
	"'defaultStatus':'draft','enableComments':true,'enableSearch':true},"
	"'fields':{"
	"'title':{'type':'text','required':true,"
	"'validation':{'maxLength':200},'order':0},"
	"'slug':{'type':'text','required':true,'unique':true,'order':1},"
	"'excerpt':{'type':'textarea','required':true,"
	"'validation':{'maxLength':500},'order':2},"
	"'content':{'type':'richtext','required':true,'order':3},"
	"'author':{'type':'text','required':true,'order':4},"
	"'category':{'type':'select','required':false,'options':["
	"{'label':'JavaScript','value':'JavaScript'},"
	"{'label':'Python','value':'Python'},"
	"{'label':'DevOps','value':'DevOps'},"
	"{'label':'AI/ML','value':'AI/ML'},"
	"{'label':'Web Development','value':'Web Development'}],'order':5},"
	"'tags':{'type':'array','itemType':'text','required':false,"
	"'order':6},"
	"'featuredImage':{'type':'image','required':false,'order':7},"
	"'publishDate':{'type':'datetime','required':true,'order':8},"
	"'readTime':{'type':'number','required':false,"
	"'validation':{'min':1,'max':60},'order':9}},"
	"'relationships':{}}";

static const char blog_doc[] =
	"{'key':'BlogPost','displayName':'Blog Post','baseType':'_component',"
	"'properties':{"
	"'title':{'type':'string','displayName':'title','isRequired':true,"
	"'sortOrder':0,'maxLength':200},"
	"'slug':{'type':'string','displayName':'slug','isRequired':true,"
	"'sortOrder':1},"
	"'excerpt':{'type':'string','displayName':'excerpt',"
	"'isRequired':true,'sortOrder':2,'maxLength':500},"
	"'content':{'type':'richText','displayName':'content',"
	"'isRequired':true,'sortOrder':3},"
	"'author':{'type':'string','displayName':'author','isRequired':true,"
	"'sortOrder':4},"
	"'category':{'type':'string','format':'selectOne','enum':["
	"{'value':'JavaScript','displayName':'JavaScript'},"
	"{'value':'Python','displayName':'Python'},"
	"{'value':'DevOps','displayName':'DevOps'},"
	"{'value':'AI/ML','displayName':'AI/ML'},"
	"{'value':'Web Development','displayName':'Web Development'}],"
	"'displayName':'category','sortOrder':5},"
	"'tags':{'type':'array','items':{'type':'string'},"
	"'displayName':'tags','sortOrder':6},"
	"'featuredImage':{'type':'contentReference',"
	"'allowedTypes':['_image'],'displayName':'featuredImage',"
	"'sortOrder':7},"
	"'publishDate':{'type':'dateTime','displayName':'publishDate',"
	"'isRequired':true,'sortOrder':8},"
	"'readTime':{'type':'float','displayName':'readTime','sortOrder':9,"
	"'minimum':1,'maximum':60}}}";

static void test_blog_post(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(blog_form, "BlogPost", NULL, NULL, &f);

	is_json(doc, blog_doc,
		"sample 01 Blog Post: array itemType, plain options, "
		"names as display names");
	is_int(f.nr, 0, "with nothing to warn about");
	dump_findings(&f);
	json_decref(doc);
	findings_release(&f);
}

/* Samples 02 (seed Author: email, nested object) and 07 (UI Author). */
static void test_authors(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc;

	doc = forward(
		"{'id':'cmeg005v8q4qnhnk8rr0ng7o3','name':'Author',"
		"'category':'component','fields':{"
		"'name':{'type':'text','required':true,'order':0},"
		"'bio':{'type':'textarea','required':true,'order':1},"
		"'avatar':{'type':'image','required':false,'order':2},"
		"'email':{'type':'email','required':true,'order':3},"
		"'social':{'type':'object','required':false,'order':4,"
		"'fields':{'twitter':{'type':'text','required':false,"
		"'order':0},'github':{'type':'text','required':false,"
		"'order':1}}}},'relationships':{}}",
		"Author", NULL, NULL, &f);
	is_json(doc,
		"{'key':'Author','displayName':'Author',"
		"'baseType':'_component','properties':{"
		"'name':{'type':'string','displayName':'name',"
		"'isRequired':true,'sortOrder':0},"
		"'bio':{'type':'string','displayName':'bio','isRequired':true,"
		"'sortOrder':1},"
		"'avatar':{'type':'contentReference','allowedTypes':['_image'],"
		"'displayName':'avatar','sortOrder':2},"
		"'email':{'type':'string',"
		"'pattern':'^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$',"
		"'displayName':'email','isRequired':true,'sortOrder':3},"
		"'social':{'type':'json','displayName':'social',"
		"'sortOrder':4}}}",
		"sample 02 seed Author: email gets a pattern, object is json");
	json_decref(doc);

	doc = forward(
		"{'id':'cmeg00av8q4lbvno60oqlua99','name':'Author',"
		"'description':'Article author profile','category':'page',"
		"'fields':{"
		"'fullName':{'id':'1755226805000_9h8s765g9',"
		"'label':'Full Name','type':'text','required':true,"
		"'validation':{'maxLength':100},'placeholder':'Enter text...',"
		"'order':0},"
		"'bio':{'id':'1755226807000_djl3sv4o7','label':'Biography',"
		"'type':'richText','required':false,"
		"'helpText':'Short biography shown under articles',"
		"'placeholder':'Enter content...','order':1},"
		"'avatar':{'id':'1755226809000_72dwtad4k','label':'Avatar',"
		"'type':'image','required':false,'validation':{"
		"'maxSize':5242880,'allowedTypes':['image/jpeg','image/png',"
		"'image/webp']},'order':2}},'relationships':{}}",
		"Author", NULL, NULL, &f);
	is_json(doc,
		"{'key':'Author','displayName':'Author',"
		"'description':'Article author profile','baseType':'_page',"
		"'properties':{"
		"'fullName':{'type':'string','displayName':'Full Name',"
		"'isRequired':true,'sortOrder':0,'maxLength':100},"
		"'bio':{'type':'richText','displayName':'Biography',"
		"'description':'Short biography shown under articles',"
		"'sortOrder':1},"
		"'avatar':{'type':'contentReference','allowedTypes':['_image'],"
		"'displayName':'Avatar','sortOrder':2}}}",
		"sample 07 UI Author as a page");
	json_decref(doc);
	is_int(f.nr, 0, "no warnings for either");
	dump_findings(&f);
	findings_release(&f);
}

/* Sample 03: the seed's Product: array of images with maxItems. */
static void test_seed_product(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(
		"{'id':'cmeg006v8q4ex22v6i0kie2er','name':'Product',"
		"'category':'component','fields':{"
		"'price':{'type':'number','required':true,"
		"'validation':{'min':0},'order':3},"
		"'images':{'type':'array','itemType':'image','required':false,"
		"'validation':{'maxItems':10},'order':8},"
		"'features':{'type':'array','itemType':'text',"
		"'required':false,'order':9},"
		"'digital':{'type':'boolean','required':false,"
		"'defaultValue':true,'order':10}},'relationships':{}}",
		"Product", NULL, NULL, &f);

	is_json(doc,
		"{'key':'Product','displayName':'Product',"
		"'baseType':'_component','properties':{"
		"'price':{'type':'float','displayName':'price',"
		"'isRequired':true,'sortOrder':3,'minimum':0},"
		"'images':{'type':'array','items':{'type':'contentReference',"
		"'allowedTypes':['_image']},'maxItems':10,"
		"'displayName':'images','sortOrder':8},"
		"'features':{'type':'array','items':{'type':'string'},"
		"'displayName':'features','sortOrder':9},"
		"'digital':{'type':'boolean','displayName':'digital',"
		"'sortOrder':10}}}",
		"sample 03 seed Product: image arrays, min 0 is kept");
	is_int(f.nr, 0, "no warnings");
	json_decref(doc);
	findings_release(&f);
}

/* Every other row of the table, on a synthetic form. */
static const char rows_form[] =
	"{'name':'Everything','category':'folder','description':'',"
	"'fields':{"
	"'md':{'type':'markdown','required':false,'order':0,"
	"'validation':{'maxLength':5000}},"
	"'str':{'type':'string','required':false,'order':1,"
	"'validation':{'minLength':0,'maxLength':10.0,'pattern':''}},"
	"'site':{'type':'url','required':true,'order':2},"
	"'mail':{'type':'email','required':false,'order':3,"
	"'validation':{'pattern':'^.+@example[.]com$'}},"
	"'ratio':{'type':'number','required':false,'order':4,"
	"'validation':{'min':0.5,'max':1.5,'precision':2}},"
	"'when':{'type':'datetime','required':false,'order':5,"
	"'validation':{'minDate':1735689600000,"
	"'maxDate':'2030-12-31T23:59:59.5+02:00'}},"
	"'day':{'type':'datetime','required':false,'order':6,"
	"'validation':{'minDate':'2024-02-29 10:30',"
	"'maxDate':'2024-12-31T23:59:59Z'}},"
	"'size':{'type':'select','required':false,'order':7,"
	"'options':[{'label':'Small','value':1},{'label':'Large','value':3},"
	"{'label':'Again','value':1.0},{'label':'Odd','value':{'a':1}},"
	"{'value':null}]},"
	"'weight':{'type':'select','required':false,'order':8,"
	"'options':[{'label':'Light','value':0.5},"
	"{'label':'Heavy','value':2}]},"
	"'yes':{'type':'select','required':false,'order':9,"
	"'options':[{'label':'Yes','value':true},"
	"{'label':'No','value':false}]},"
	"'none':{'type':'select','required':false,'order':10,'options':[]},"
	"'colors':{'type':'multiselect','required':false,'order':11,"
	"'options':[{'label':'Red','value':'red'},{'label':'','value':'blue'},"
	"{'label':'Green'}],"
	"'validation':{'minItems':1,'maxItems':2}},"
	"'labels':{'type':'tags','required':false,'order':12,"
	"'validation':{'maxItems':20}},"
	"'clip':{'type':'media','required':false,'order':13,"
	"'accept':'video/*'},"
	"'asset':{'type':'media','required':false,'order':14,"
	"'accept':'video/mp4, image/*'},"
	"'doc':{'type':'media','required':false,'order':15,"
	"'accept':'application/pdf'},"
	"'any':{'type':'media','required':false,'order':16},"
	"'mixed':{'type':'media','required':false,'order':17,"
	"'accept':['image/png','.pdf']},"
	"'pics':{'type':'gallery','required':false,'order':18,"
	"'validation':{'minItems':1}},"
	"'data':{'type':'object','required':false,'order':19},"
	"'related':{'type':'reference','required':false,'order':20},"
	"'articles':{'type':'reference','required':false,'order':21},"
	"'tagsOf':{'type':'reference','required':false,'order':22,"
	"'validation':{'maxItems':5}},"
	"'ghost':{'type':'reference','required':false,'order':23},"
	"'nums':{'type':'array','itemType':'number','required':false,"
	"'order':24,'validation':{'min':0}},"
	"'picks':{'type':'array','itemType':'select','required':false,"
	"'order':25,'options':['a']},"
	"'refs':{'type':'array','itemType':'reference','required':false,"
	"'order':26},"
	"'nested':{'type':'array','itemType':'tags','required':false,"
	"'order':27},"
	"'bare':{'type':'array','required':false,'order':28},"
	"'odd':{'type':'array','itemType':'hologram','required':false,"
	"'order':29},"
	"'color':{'type':'color','label':'Colour','required':false,'order':30},"
	"'untyped':{'required':false,'order':31},"
	"'mix':{'type':'select','required':false,'order':32,"
	"'options':[{'label':'One','value':1},{'label':'Two','value':'2'},"
	"{'value':true}]},"
	"'rich':{'type':'richtext','required':false,'order':33,"
	"'label':'','helpText':''},"
	"'bad':{'type':'date','required':false,'order':34,"
	"'validation':{'minDate':'soon','maxDate':'2024-02-30'}},"
	"'shout':{'type':'TEXT','required':false,'order':35}},"
	"'relationships':{"
	"'articles':{'type':'oneToMany',"
	"'targetContentTypeId':'cmeg00bv8q4r2kbsqmyiam2ue'},"
	"'r2':{'type':'manyToMany',"
	"'targetContentTypeId':'cmeg00dv8q4p2q8pvopdmtbh3',"
	"'fieldName':'tagsOf'},"
	"'r3':{'type':'oneToOne','targetContentTypeId':'elsewhere',"
	"'fieldName':'ghost'},"
	"'r4':{'type':'manyToOne',"
	"'targetContentTypeId':'cmeg00av8q4lbvno60oqlua99',"
	"'name':'refs'}}}";

static const char rows_doc[] =
	"{'key':'Everything','displayName':'Everything',"
	"'baseType':'_folder','properties':{"
	"'md':{'type':'string','maxLength':5000,'displayName':'md',"
	"'sortOrder':0},"
	"'str':{'type':'string','minLength':0,'maxLength':10,"
	"'displayName':'str','sortOrder':1},"
	"'site':{'type':'url','displayName':'site','isRequired':true,"
	"'sortOrder':2},"
	"'mail':{'type':'string','pattern':'^.+@example[.]com$',"
	"'displayName':'mail','sortOrder':3},"
	"'ratio':{'type':'float','minimum':0.5,'maximum':1.5,"
	"'displayName':'ratio','sortOrder':4},"
	"'when':{'type':'dateTime','minimum':'2025-01-01T00:00:00Z',"
	"'maximum':'2030-12-31T21:59:59.500Z','displayName':'when',"
	"'sortOrder':5},"
	"'day':{'type':'dateTime','minimum':'2024-02-29T10:30:00Z',"
	"'maximum':'2024-12-31T23:59:59Z','displayName':'day',"
	"'sortOrder':6},"
	"'size':{'type':'integer','enum':[{'value':1,'displayName':'Small'},"
	"{'value':3,'displayName':'Large'}],'displayName':'size',"
	"'sortOrder':7},"
	"'weight':{'type':'float','enum':[{'value':0.5,'displayName':'Light'},"
	"{'value':2,'displayName':'Heavy'}],'displayName':'weight',"
	"'sortOrder':8},"
	"'yes':{'type':'boolean','displayName':'yes','sortOrder':9},"
	"'none':{'type':'string','displayName':'none','sortOrder':10},"
	"'colors':{'type':'array','items':{'type':'string','enum':["
	"{'value':'red','displayName':'Red'},"
	"{'value':'blue','displayName':'blue'},"
	"{'value':'Green','displayName':'Green'}]},'minItems':1,'maxItems':2,"
	"'displayName':'colors','sortOrder':11},"
	"'labels':{'type':'array','items':{'type':'string'},'maxItems':20,"
	"'displayName':'labels','sortOrder':12},"
	"'clip':{'type':'contentReference','allowedTypes':['_video'],"
	"'displayName':'clip','sortOrder':13},"
	"'asset':{'type':'contentReference',"
	"'allowedTypes':['_image','_video'],'displayName':'asset',"
	"'sortOrder':14},"
	"'doc':{'type':'contentReference','allowedTypes':['_media'],"
	"'displayName':'doc','sortOrder':15},"
	"'any':{'type':'contentReference','allowedTypes':['_media'],"
	"'displayName':'any','sortOrder':16},"
	"'mixed':{'type':'contentReference','allowedTypes':['_image','_media'],"
	"'displayName':'mixed','sortOrder':17},"
	"'pics':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['_image']},'minItems':1,'displayName':'pics',"
	"'sortOrder':18},"
	"'data':{'type':'json','displayName':'data','sortOrder':19},"
	"'related':{'type':'contentReference','displayName':'related',"
	"'sortOrder':20},"
	"'articles':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['Article']},'displayName':'articles',"
	"'sortOrder':21},"
	"'tagsOf':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['Product']},'maxItems':5,'displayName':'tagsOf',"
	"'sortOrder':22},"
	"'ghost':{'type':'contentReference','displayName':'ghost',"
	"'sortOrder':23},"
	"'nums':{'type':'array','items':{'type':'float','minimum':0},"
	"'displayName':'nums','sortOrder':24},"
	"'picks':{'type':'array','items':{'type':'string',"
	"'enum':[{'value':'a','displayName':'a'}]},'displayName':'picks',"
	"'sortOrder':25},"
	"'refs':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['Author']},'displayName':'refs','sortOrder':26},"
	"'nested':{'type':'array','items':{'type':'string'},"
	"'displayName':'nested','sortOrder':27},"
	"'bare':{'type':'array','items':{'type':'string'},"
	"'displayName':'bare','sortOrder':28},"
	"'odd':{'type':'array','items':{'type':'string'},"
	"'displayName':'odd','sortOrder':29},"
	"'color':{'type':'string','displayName':'Colour','sortOrder':30},"
	"'untyped':{'type':'string','displayName':'untyped','sortOrder':31},"
	"'mix':{'type':'string','format':'selectOne','enum':["
	"{'value':'1','displayName':'One'},{'value':'2','displayName':'Two'},"
	"{'value':'true','displayName':'true'}],'displayName':'mix',"
	"'sortOrder':32},"
	"'rich':{'type':'richText','displayName':'rich','sortOrder':33},"
	"'bad':{'type':'dateTime','displayName':'bad','sortOrder':34},"
	"'shout':{'type':'string','displayName':'shout','sortOrder':35}}}";

static void test_all_rows(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(rows_form, "Everything", NULL, NULL, &f);

	is_json(doc, rows_doc, "every row of the forward table");
	/* Validation stage 1 reports these; the lens must not repeat them. */
	ok(!has_finding(&f, "unknown-field-type", NULL, NULL, NULL),
	   "an unknown type is left to validation");
	ok(!has_finding(&f, "reference-without-relationship", NULL, NULL, NULL),
	   "so is a reference without a relationship");
	ok(!has_finding(&f, "mixed-option-values", NULL, NULL, NULL),
	   "and mixed option values");
	ok(has_finding(&f, "unresolved-reference", "Everything:fields.ghost",
		       "'elsewhere'", NULL),
	   "a relationship to an unknown type is reported");
	ok(has_finding(&f, "unknown-item-type", "Everything:fields.nested",
		       "'tags'", "nest"),
	   "a nested array is reported");
	ok(has_finding(&f, "unknown-item-type", "Everything:fields.bare",
		       "no itemType", NULL),
	   "an array without itemType is reported");
	ok(!has_finding(&f, "unknown-item-type", "Everything:fields.odd",
			NULL, NULL),
	   "an unknown item type is left to validation");
	ok(!has_finding(&f, "invalid-date-bound", NULL, NULL, NULL),
	   "and a date bound that is not a date");
	is_int(f.nr, 3, "and nothing else");
	dump_findings(&f);
	json_decref(doc);
	findings_release(&f);
}

static void test_overlay(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(
		"{'name':'Article','category':'page','fields':{"
		"'title':{'type':'text','required':true,'order':0},"
		"'tags':{'type':'tags','required':false,'order':1}},"
		"'relationships':{}}",
		"Article", NULL,
		"{'type':{'sortOrder':10,'mayContainTypes':['Teaser','Author'],"
		"'displayName':'Hacked','key':'Other',"
		"'accessRights':[]},"
		"'properties':{'title':{'indexingType':'searchable',"
		"'group':'SEO','isLocalized':true,'displayName':'Hacked',"
		"'type':'json'},"
		"'tags':{'items':{'editorSettings':{'x':1},'type':'json'},"
		"'displayMode':'hidden'},"
		"'removed':{'group':'Old'}}}",
		&f);

	is_json(doc,
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'sortOrder':10,'mayContainTypes':['Author','Teaser'],"
		"'accessRights':[],'properties':{"
		"'title':{'type':'string','displayName':'title',"
		"'isRequired':true,'sortOrder':0,'indexingType':'searchable',"
		"'group':'SEO','isLocalized':true},"
		"'tags':{'type':'array','items':{'type':'string',"
		"'editorSettings':{'x':1}},'displayMode':'hidden',"
		"'displayName':'tags','sortOrder':1}}}",
		"the overlay adds target-owned members only, to properties "
		"the lens produced, and the result is canonical");
	json_decref(doc);
	findings_release(&f);
}

static void test_overlay_untouched(void)
{
	const char *otext = "{'type':{'mayContainTypes':['Teaser','Author'],"
			    "'composition':{'allowedTypes':['B','A']}},"
			    "'properties':{'n':{'minimum':2.0}}}";
	json_t *form = load("{'name':'Page','fields':{'n':{'type':'text',"
			    "'required':false,'order':0}}}");
	json_t *overlay = load(otext);
	json_t *before = load(otext);
	struct lens_ctx ctx = { "Page", NULL, NULL, overlay, NULL };
	json_t *doc = NULL;

	ok(lens_forward(&doc, form, &ctx) == 0, "a lens run with an overlay");
	ok(json_equal(overlay, before), "leaves the caller's overlay alone");
	is_json(json_object_get(doc, "composition"),
		"{'allowedTypes':['A','B']}", "while its copy is canonical");
	json_decref(doc);
	json_decref(before);
	json_decref(overlay);
	json_decref(form);
}

static void test_errors(void)
{
	json_t *doc;

	doc = forward("{'id':'x1','fields':{}}", "X", NULL, NULL, NULL);
	ok(!doc, "a form without a name is refused");
	is_int(err_code(), ERR_INVALID, "as invalid");
	ok(strstr(err_msg(), "'x1'") != NULL, "naming the type's id");

	doc = forward("{'name':'X','fields':{}}", NULL, NULL, NULL, NULL);
	ok(!doc, "a missing type key is refused");

	doc = forward("{'name':'X','fields':{}}", "X\xff", NULL, NULL, NULL);
	ok(!doc, "a type key that is not UTF-8 is refused");

	doc = forward("{'name':'X','fields':[]}", "X", NULL, NULL, NULL);
	ok(!doc, "fields that are not an object are refused");

	doc = forward("{'name':'X','fields':{'a':{'type':'text',"
		      "'required':false,'order':0}}}",
		      "X", "{'b':'b'}", NULL, NULL);
	ok(!doc, "a field without a property key is refused");
	ok(strstr(err_msg(), "'a'") != NULL, "naming the field");

	doc = forward("{'name':'X','fields':{'a':{'type':'text',"
		      "'required':false,'order':0},'b':{'type':'text',"
		      "'required':false,'order':1}}}",
		      "X", "{'a':'k','b':'k'}", NULL, NULL);
	ok(!doc, "two fields with one property key are refused");
	ok(strstr(err_msg(), "'k'") && strstr(err_msg(), "'a' and 'b'"),
	   "naming the key and both fields");

	doc = forward("{'name':'X','fields':{'a':7}}", "X", NULL, NULL, NULL);
	ok(!doc, "a field that is not an object is refused");
	err_clear();

	doc = forward("{'name':'Bare'}", "Bare", NULL, NULL, NULL);
	is_json(doc,
		"{'key':'Bare','displayName':'Bare','baseType':'_component',"
		"'properties':{}}",
		"a form without fields has no properties");
	json_decref(doc);
}

static void test_generated_keys(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *doc = forward(
		"{'name':'Landing','category':'page','fields':{"
		"'SEO Title':{'type':'text','required':false,'order':0},"
		"'seoTitle':{'type':'text','required':false,'order':1},"
		"'x':{'type':'text','required':false,'order':2}}}",
		"Landing", NULL, NULL, &f);

	is_json(doc,
		"{'key':'Landing','displayName':'Landing','baseType':'_page',"
		"'properties':{"
		"'seoTitle':{'type':'string','displayName':'SEO Title',"
		"'sortOrder':0},"
		"'seoTitle2':{'type':'string','displayName':'seoTitle',"
		"'sortOrder':1},"
		"'fieldX':{'type':'string','displayName':'x','sortOrder':2}}}",
		"without persisted keys the lens generates them");
	ok(has_finding(&f, "key-collision", "Landing:fields.seoTitle", NULL,
		       NULL),
	   "and reports their collisions");
	json_decref(doc);
	findings_release(&f);
}

static void test_base_type(void)
{
	is_str(lens_base_type("page"), "_page", "page");
	is_str(lens_base_type("component"), "_component", "component");
	is_str(lens_base_type("folder"), "_folder", "folder");
	is_str(lens_base_type("Page"), "_page", "Page");
	is_str(lens_base_type("blog"), "_component", "unknown -> _component");
	is_str(lens_base_type(NULL), "_component", "NULL -> _component");
}

int main(void)
{
	plan_lazy();
	test_base_type();
	test_article();
	test_product();
	test_blog_post();
	test_authors();
	test_seed_product();
	test_all_rows();
	test_overlay();
	test_overlay_untouched();
	test_generated_keys();
	test_errors();
	return done_testing();
}
