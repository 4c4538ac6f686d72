#!/usr/bin/env python3
"""concurrent_edits: generated concurrent-edit scenarios for t5002.

One scenario per generated content type: a Catalyst edit and a CMS edit
made from the same base, of one of four classes:

  disjoint       the sides change different fields, or different
                 attributes of one field: merges automatically
  identical      the same change on both sides (maybe with a one-sided
                 extra): merges automatically
  overlapping    the same attribute (or the same added field) set to
                 different values: a conflict at that path
  delete-modify  one side removes a field the other changes: a conflict
                 at properties.<field>

Subcommands (files are read and written in the current directory):

  base N SEED      base.json (the types), base.sql (their INSERTs)
  edits SEED       scenarios.json, catalyst-edits.sql (one UPDATE per
                   type), cms-edits.tsv (KEY TAB merge-patch), edits.tsv
                   (the record: side, key, path, value)
  verify           checks the state after the bidirectional apply and
                   prints the summary
  pick N           N conflicted types for each strategy of resolve
  verify-resolved STRATEGY KEY...
                   checks types after 'resolve KEY --strategy STRATEGY'
  verify-untouched KEY...
                   checks that the conflicted types but KEY... are as
                   they were before the apply and still listed

The verify commands read cat-after.json (sqlite3 -json of the
ContentType rows), cms-after.json (/_emulator/state), and verify also
cat-before.json, cms-before.json, conflicts.json (conflicts --json),
plan.json (plan --json), log.json (conflicts --log --json) and
writes.txt (the CMS writes of the apply, "METHOD KEY STATUS").
They print "# ..." TAP comments and exit 1 on a failed check.
"""
import json
import random
import sys

WEBSITE_ID = "cmnw01j0q0000nwjournal001"

# field type -> the attributes an edit may change
ATTRS = {
    "text": ["label", "help", "required", "maxLength", "minLength"],
    "number": ["label", "help", "required", "min", "max"],
    "richText": ["label", "help", "required"],
    "boolean": ["label", "help", "required"],
    "url": ["label", "help", "required"],
    "select": ["label", "help", "required"],
}
# attribute -> its path in a Catalyst field, and its CMS property member
CAT_PATH = {
    "label": "label", "help": "helpText", "required": "required",
    "maxLength": "validation.maxLength", "minLength": "validation.minLength",
    "min": "validation.min", "max": "validation.max",
}
CMS_ATTR = {
    "label": "displayName", "help": "description", "required": "isRequired",
    "maxLength": "maxLength", "minLength": "minLength",
    "min": "minimum", "max": "maximum",
}
# attributes two sides can set to different values
OVERLAPPABLE = ["label", "help", "maxLength", "minLength", "min", "max"]

NAMES = {
    "text": ["title", "subtitle", "caption", "slug", "headline", "teaser",
             "code", "byline"],
    "number": ["rating", "price", "quantity", "weight", "rank", "score"],
    "richText": ["body", "notes", "details"],
    "boolean": ["featured", "archived", "visible"],
    "url": ["link", "homepage", "source"],
    "select": ["color", "size", "tone"],
}
WORDS = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove",
         "harbor", "iris", "juniper", "kelp", "lumen", "maple", "nova",
         "orchid", "pine", "quartz", "river", "sage", "tide", "umber",
         "vale", "willow", "yarrow", "zephyr"]


def die(msg):
    print("# error: " + msg)
    sys.exit(1)


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def type_name(i):
    return "Concurrent %03d" % i


def type_key(i):
    return "Concurrent%03d" % i


# ---- base ---------------------------------------------------------------

def make_field(rng, i, j, ftype, name, ts):
    f = {
        "id": "%d_%s" % (ts + j, "".join(rng.choice("abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(9))),
        "name": name,
        "label": name[0].upper() + name[1:] + " " + rng.choice(WORDS).title(),
        "type": ftype,
        "required": rng.random() < 0.3,
    }
    if ftype == "text":
        v = {"maxLength": rng.randrange(50, 300, 10)}
        if rng.random() < 0.5:
            v["minLength"] = rng.randrange(1, 6)
        f["validation"] = v
    elif ftype == "number":
        v = {"min": rng.randrange(0, 11), "max": rng.randrange(100, 501, 50)}
        if rng.random() < 0.5:
            v["precision"] = 0
        f["validation"] = v
    elif ftype == "select":
        f["options"] = [{"label": w.title(), "value": w}
                        for w in rng.sample(WORDS, 3)]
    if rng.random() < 0.5:
        f["helpText"] = "About the %s of a %s" % (name, rng.choice(WORDS))
    f["order"] = j
    return f


def cmd_base(n, seed):
    rng = random.Random(seed)
    types = []
    sql = []
    for i in range(1, n + 1):
        ts = 1761990000000 + i * 1000
        kinds = ["text", "text", "number"] + rng.sample(
            ["richText", "boolean", "url", "select", "number", "text"],
            rng.randrange(2, 4))
        rng.shuffle(kinds)
        used = set()
        fields = []
        for j, k in enumerate(kinds):
            name = rng.choice([x for x in NAMES[k] if x not in used])
            used.add(name)
            fields.append(make_field(rng, i, j, k, name, ts))
        name = type_name(i)
        row = {"name": name, "pluralName": name + "s",
               "description": "Generated type %d for concurrent edits" % i,
               "fields": fields, "relationships": []}
        tid = "cmnw05c0e%016d" % i
        types.append({"id": tid, "index": i, "key": type_key(i), "name": name,
                      "fields": fields, "row": row})
        settings = {"pluralName": name + "s",
                    "category": "component" if i % 3 else "page"}
        sql.append(
            'INSERT INTO "ContentType" ("id","websiteId","name","fields",'
            '"settings","createdAt","updatedAt") VALUES (%s,%s,%s,%s,%s,%d,%d);'
            % (sql_str(tid), sql_str(WEBSITE_ID), sql_str(name),
               sql_str(compact(row)), sql_str(compact(settings)), ts, ts))
    save("base.json", {"seed": seed, "types": types})
    with open("base.sql", "w") as f:
        f.write("BEGIN;\n" + "\n".join(sql) + "\nCOMMIT;\n")


# ---- edits --------------------------------------------------------------

class Side:
    """The edits of one side of one scenario, as they are generated."""

    def __init__(self, name):
        self.name = name          # "catalyst" or "cms"
        self.edits = []           # {"op": set|remove|add, ...}

    def touched(self, field):
        return any(e.get("field") == field for e in self.edits)

    def attrs(self, field):
        return {e["attr"] for e in self.edits
                if e["op"] == "set" and e["field"] == field}

    def removed(self, field):
        return any(e["op"] == "remove" and e["field"] == field
                   for e in self.edits)


def new_value(rng, field, attr, avoid):
    """A value for attr of field, different from the base and from avoid."""
    base = attr_value(field, attr)
    for _ in range(100):
        if attr == "label":
            v = "%s %s" % (field["label"], rng.choice(WORDS).title())
        elif attr == "help":
            v = "Edited: %s %s" % (rng.choice(WORDS), rng.choice(WORDS))
        elif attr == "required":
            v = not base
        elif attr == "maxLength":
            v = rng.randrange(20, 500)
        elif attr == "minLength":
            v = rng.randrange(1, 10)
        elif attr == "min":
            v = rng.randrange(0, 60)
        elif attr == "max":
            v = rng.randrange(100, 1000)
        if v != base and v not in avoid:
            return v
    raise RuntimeError("no new value for " + attr)


def attr_value(field, attr):
    """attr of a Catalyst field (required: a bool; absent: None)."""
    if attr == "required":
        return bool(field.get("required"))
    path = CAT_PATH[attr].split(".")
    v = field
    for p in path:
        if not isinstance(v, dict) or p not in v:
            return None
        v = v[p]
    return v


def fresh_field(rng, name, label, order, maxlen):
    return {"name": name, "label": label, "type": "text", "required": False,
            "validation": {"maxLength": maxlen}, "order": order}


def one_sided(rng, t, me, other, adds, kinds=("set", "set", "set", "remove", "add")):
    """A change on me disjoint from everything other did (None if none)."""
    fields = t["fields"]
    for _ in range(50):
        op = rng.choice(kinds)
        if op == "add":
            n = adds[0]
            adds[0] += 1
            name = "extra%s%d" % ("Cat" if me.name == "catalyst" else "Cms", n)
            f = fresh_field(rng, name, "Extra " + rng.choice(WORDS).title(),
                            len(fields) + n, rng.randrange(20, 200))
            if me.name == "cms" and rng.random() < 0.5:
                # an editor's property without a sortOrder: the CMS's 0
                f["order"] = 0
                f["unordered"] = True
            return {"op": "add", "field": name, "value": f}
        f = rng.choice(fields)
        if me.removed(f["name"]) or other.removed(f["name"]):
            continue
        if op == "remove":
            if me.touched(f["name"]) or other.touched(f["name"]):
                continue
            if sum(1 for x in fields if not me.removed(x["name"]) and
                   not other.removed(x["name"])) < 3:
                continue
            return {"op": "remove", "field": f["name"]}
        free = [a for a in ATTRS[f["type"]]
                if a not in me.attrs(f["name"]) and a not in other.attrs(f["name"])]
        if not free:
            continue
        a = rng.choice(free)
        return {"op": "set", "field": f["name"], "attr": a,
                "value": new_value(rng, f, a, [])}
    return None


def gen_scenario(rng, t, cls):
    cat, cms = Side("catalyst"), Side("cms")
    adds = [1]
    conflicts = []
    sub = cls
    fields = t["fields"]
    if cls == "disjoint":
        if rng.random() < 0.35:
            # one field, different attributes
            f = rng.choice(fields)
            a, b = rng.sample(ATTRS[f["type"]], 2)
            cat.edits.append({"op": "set", "field": f["name"], "attr": a,
                              "value": new_value(rng, f, a, [])})
            cms.edits.append({"op": "set", "field": f["name"], "attr": b,
                              "value": new_value(rng, f, b, [])})
            sub = "disjoint-attributes"
        else:
            sub = "disjoint-fields"
            for side, other in ((cat, cms), (cms, cat)):
                for _ in range(rng.choice((1, 1, 2))):
                    e = one_sided(rng, t, side, other, adds)
                    if e:
                        side.edits.append(e)
            # different fields: no field touched by both sides
            for e in list(cms.edits):
                if e["op"] == "set" and cat.touched(e["field"]):
                    sub = "disjoint-mixed"
    elif cls == "identical":
        r = rng.random()
        if r < 0.15:
            f = rng.choice(fields)
            e = {"op": "remove", "field": f["name"]}
            cat.edits.append(dict(e))
            cms.edits.append(dict(e))
            sub = "identical-remove"
        elif r < 0.3:
            name = "extraBoth"
            e = {"op": "add", "field": name,
                 "value": fresh_field(rng, name, "Extra " + rng.choice(WORDS).title(),
                                      len(fields), rng.randrange(20, 200))}
            cat.edits.append(json.loads(json.dumps(e)))
            cms.edits.append(json.loads(json.dumps(e)))
            sub = "identical-add"
        else:
            for f in rng.sample(fields, rng.choice((1, 2))):
                a = rng.choice(ATTRS[f["type"]])
                e = {"op": "set", "field": f["name"], "attr": a,
                     "value": new_value(rng, f, a, [])}
                cat.edits.append(dict(e))
                cms.edits.append(dict(e))
            sub = "identical-set"
        if rng.random() < 0.3:
            side, other = rng.choice(((cat, cms), (cms, cat)))
            e = one_sided(rng, t, side, other, adds, ("set", "set", "add"))
            if e:
                side.edits.append(e)
                sub += "+one-sided"
    elif cls == "overlapping":
        if rng.random() < 0.12:
            # both add the same field, with different labels
            name = "extraBoth"
            maxlen = rng.randrange(20, 200)
            w1, w2 = rng.sample(WORDS, 2)
            cat.edits.append({"op": "add", "field": name, "value": fresh_field(
                rng, name, "Extra " + w1.title(), len(fields), maxlen)})
            cms.edits.append({"op": "add", "field": name, "value": fresh_field(
                rng, name, "Extra " + w2.title(), len(fields), maxlen)})
            conflicts.append("properties.%s.displayName" % name)
            sub = "overlapping-both-added"
        else:
            nr = 2 if rng.random() < 0.2 else 1
            cands = [(f, a) for f in fields for a in ATTRS[f["type"]]
                     if a in OVERLAPPABLE]
            for f, a in rng.sample(cands, nr):
                v1 = new_value(rng, f, a, [])
                v2 = new_value(rng, f, a, [v1])
                cat.edits.append({"op": "set", "field": f["name"], "attr": a, "value": v1})
                cms.edits.append({"op": "set", "field": f["name"], "attr": a, "value": v2})
                conflicts.append("properties.%s.%s" % (f["name"], CMS_ATTR[a]))
            sub = "overlapping-%d" % nr
    elif cls == "delete-modify":
        f = rng.choice(fields)
        deleter, modifier = rng.choice(((cat, cms), (cms, cat)))
        deleter.edits.append({"op": "remove", "field": f["name"]})
        a = rng.choice(ATTRS[f["type"]])
        modifier.edits.append({"op": "set", "field": f["name"], "attr": a,
                               "value": new_value(rng, f, a, [])})
        conflicts.append("properties.%s" % f["name"])
        sub = "delete-modify-" + ("catalyst-deletes" if deleter is cat else "cms-deletes")
    if cls in ("overlapping", "delete-modify") and rng.random() < 0.6:
        # non-conflicting extras, which must survive a resolution
        for side, other in ((cat, cms), (cms, cat)):
            if rng.random() < 0.7:
                e = one_sided(rng, t, side, other, adds, ("set", "set", "set", "add"))
                if e:
                    side.edits.append(e)
        sub += "+extras"
    assert cat.edits and cms.edits, (t["key"], cls)
    return {"key": t["key"], "name": t["name"], "class": cls, "subclass": sub,
            "catalyst": cat.edits, "cms": cms.edits,
            "conflicts": sorted(conflicts)}


def cms_path(e):
    if e["op"] == "set":
        return "properties.%s.%s" % (e["field"], CMS_ATTR[e["attr"]])
    return "properties." + e["field"]


def cms_property(field):
    """The v1 property of a fresh (added) text field."""
    p = {"type": "string", "displayName": field["label"],
         "maxLength": field["validation"]["maxLength"]}
    if not field.get("unordered"):
        p["sortOrder"] = field["order"]
    if field.get("required"):
        p["isRequired"] = True
    return p


def catalyst_id(t, name):
    return "1762%09d_%s" % (t["index"], name.lower())


def catalyst_sql(t, edits):
    """One UPDATE with the Catalyst edits, as the app writes them."""
    index = {f["name"]: i for i, f in enumerate(t["fields"])}
    expr = '"fields"'
    for e in edits:
        if e["op"] == "set":
            path = "$.fields[%d].%s" % (index[e["field"]], CAT_PATH[e["attr"]])
            expr = "json_set(%s, %s, json(%s))" % (expr, sql_str(path),
                                                   sql_str(compact(e["value"])))
    for e in edits:
        if e["op"] == "add":
            f = dict(e["value"])
            f = {"id": catalyst_id(t, f["name"]), **f}
            expr = "json_insert(%s, '$.fields[#]', json(%s))" % (
                expr, sql_str(compact(f)))
    removes = sorted((index[e["field"]] for e in edits if e["op"] == "remove"),
                     reverse=True)
    if removes:
        expr = "json_remove(%s, %s)" % (expr, ", ".join(
            sql_str("$.fields[%d]" % i) for i in removes))
    return ('UPDATE "ContentType" SET "fields" = %s, "updatedAt" = "updatedAt" '
            '+ 1000 WHERE "name" = %s;' % (expr, sql_str(t["name"])))


def cms_patch(edits):
    props = {}
    for e in edits:
        if e["op"] == "set":
            props.setdefault(e["field"], {})[CMS_ATTR[e["attr"]]] = e["value"]
        elif e["op"] == "remove":
            props[e["field"]] = None
        else:
            props[e["field"]] = cms_property(e["value"])
    return {"properties": props}


def cmd_edits(seed):
    base = load("base.json")
    rng = random.Random(seed)
    classes = ["disjoint"] * 45 + ["identical"] * 15 + ["overlapping"] * 28 + \
        ["delete-modify"] * 12
    scenarios = []
    sql = ["BEGIN;"]
    tsv = []
    record = ["side\tkey\tpath\tvalue"]
    for t in base["types"]:
        s = gen_scenario(rng, t, rng.choice(classes))
        scenarios.append(s)
        sql.append(catalyst_sql(t, s["catalyst"]))
        tsv.append("%s\t%s" % (t["key"], compact(cms_patch(s["cms"]))))
        for side in ("catalyst", "cms"):
            for e in s[side]:
                v = None if e["op"] == "remove" else e["value"]
                if e["op"] == "add":
                    v = cms_property(e["value"])
                record.append("%s\t%s\t%s\t%s" % (side, t["key"], cms_path(e),
                                                 compact(v)))
    sql.append("COMMIT;")
    save("scenarios.json", scenarios)
    with open("catalyst-edits.sql", "w") as f:
        f.write("\n".join(sql) + "\n")
    with open("cms-edits.tsv", "w") as f:
        f.write("\n".join(tsv) + "\n")
    with open("edits.tsv", "w") as f:
        f.write("\n".join(record) + "\n")
    counts = {}
    for s in scenarios:
        counts[s["subclass"]] = counts.get(s["subclass"], 0) + 1
    for k in sorted(counts):
        print("# %4d %s" % (counts[k], k))


# ---- the model both sides are compared in -------------------------------

def cms_kind(f):
    """The v1 property type the forward lens gives a generated field."""
    t = f.get("type")
    if t == "number":
        v = f.get("validation") or {}
        return "integer" if v.get("precision") == 0 else "float"
    return {"text": "string", "select": "string"}.get(t, t)


def model_of_fields(fields):
    """{name: {label, help, required, minLength, maxLength, min, max, kind,
    order, enum}}, in the CMS's terms where they differ."""
    out = {}
    for f in fields:
        v = f.get("validation") or {}
        opts = f.get("options")
        out[f["name"]] = {
            "label": f.get("label"), "help": f.get("helpText"),
            "required": bool(f.get("required")),
            "minLength": v.get("minLength"), "maxLength": v.get("maxLength"),
            "min": v.get("min"), "max": v.get("max"),
            "kind": cms_kind(f), "order": f.get("order") or 0,
            "enum": [o["value"] for o in opts] if opts else None,
        }
    return out


def model_of_type(doc):
    out = {}
    for k, p in (doc.get("properties") or {}).items():
        out[k] = {
            "label": p.get("displayName"), "help": p.get("description"),
            "required": bool(p.get("isRequired")),
            "minLength": p.get("minLength"), "maxLength": p.get("maxLength"),
            "min": p.get("minimum"), "max": p.get("maximum"),
            "kind": p.get("type"), "order": p.get("sortOrder") or 0,
            "enum": [o["value"] for o in p["enum"]] if p.get("enum") else None,
        }
    return out


def catalyst_kept(t, s, row):
    """What Catalyst keeps that the CMS does not hold: the row's other
    members, the fields' ids and options (lines, [] when all kept)."""
    out = []
    doc = json.loads(row["fields"])
    for m in ("name", "pluralName", "description", "relationships"):
        if doc.get(m) != t["row"].get(m):
            out.append("the row's %s changed: %s" % (m, compact(doc.get(m))))
    ids = {f["name"]: f["id"] for f in t["fields"]}
    ids.update({e["field"]: catalyst_id(t, e["field"])
                for e in s["catalyst"] if e["op"] == "add"})
    for f in doc.get("fields", []):
        if f["name"] in ids and f.get("id") != ids[f["name"]]:
            out.append("%s: id %s, was %s" % (f["name"], compact(f.get("id")),
                                              ids[f["name"]]))
    return out


def apply_edits(model, edits, skip=()):
    """model with edits applied, leaving out those touching a skip path."""
    m = json.loads(json.dumps(model))
    for e in edits:
        p = cms_path(e)
        if any(p == c or p.startswith(c + ".") or c.startswith(p + ".")
               for c in skip):
            continue
        if e["op"] == "set":
            if e["field"] in m:  # else removed: a conflict
                m[e["field"]][e["attr"]] = e["value"]
        elif e["op"] == "remove":
            m.pop(e["field"], None)
        else:
            m.update(model_of_fields([e["value"]]))
    return m


def row_fields(row):
    doc = json.loads(row["fields"])
    return doc["fields"] if isinstance(doc, dict) else doc


def diff_models(want, have):
    """Human lines for what differs, [] when equal."""
    out = []
    for name in sorted(set(want) | set(have)):
        if name not in have:
            out.append("%s: missing" % name)
        elif name not in want:
            out.append("%s: should not be there" % name)
        else:
            for a in sorted(want[name]):
                if want[name][a] != have[name].get(a):
                    out.append("%s.%s: want %s, have %s" % (
                        name, a, compact(want[name][a]),
                        compact(have[name].get(a))))
    return out


class Checker:
    def __init__(self):
        self.failures = 0

    def fail(self, key, what, lines=()):
        self.failures += 1
        if self.failures <= 40:
            print("# FAIL %s: %s" % (key, what))
            for l in list(lines)[:8]:
                print("#     " + l)


def load_sides(prefix):
    rows = {r["name"]: r for r in load("cat-%s.json" % prefix)}
    state = load("cms-%s.json" % prefix)
    cms = {}
    for entry in state["contentTypes"]:
        cms[entry["type"]["key"]] = entry
    return rows, cms


def cmd_verify():
    base = {t["key"]: t for t in load("base.json")["types"]}
    scenarios = load("scenarios.json")
    rows_b, cms_b = load_sides("before")
    rows_a, cms_a = load_sides("after")
    listed = {t["key"]: t for t in load("conflicts.json")["types"]}
    plan = {t["key"]: t for t in load("plan.json")["types"]}
    written = set()
    with open("writes.txt") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                written.add(parts[1])
    ck = Checker()
    merged = conflicted = expected_conflicts = lost = 0
    by_class = {}
    for s in scenarios:
        key = s["key"]
        bm = model_of_fields(base[key]["fields"])
        cat_only = apply_edits(bm, s["catalyst"])
        cms_only = apply_edits(bm, s["cms"])
        both = apply_edits(cat_only, s["cms"])
        row = rows_a.get(s["name"])
        doc = cms_a.get(key)
        if row is None or doc is None:
            ck.fail(key, "the type is gone (%s)" % (
                "Catalyst" if row is None else "CMS"))
            lost += 1
            continue
        have_cat = model_of_fields(row_fields(row))
        have_cms = model_of_type(doc["type"])
        want_conflict = bool(s["conflicts"])
        expected_conflicts += want_conflict
        c = by_class.setdefault(s["class"], [0, 0])
        if key in listed:
            conflicted += 1
            c[1] += 1
            # nothing written for it, on either side
            d1 = diff_models(cat_only, have_cat)
            d2 = diff_models(cms_only, have_cms)
            if d1 or d2:
                lost += 1
                ck.fail(key, "conflicted (%s) but a side does not hold "
                        "exactly its own edits" % s["subclass"],
                        ["catalyst " + x for x in d1] + ["cms " + x for x in d2])
            if row["fields"] != rows_b[s["name"]]["fields"] or \
                    row["updatedAt"] != rows_b[s["name"]]["updatedAt"]:
                ck.fail(key, "conflicted, yet its Catalyst row was written")
            if doc != cms_b[key] or key in written:
                ck.fail(key, "conflicted, yet the CMS type was written")
            paths = sorted(x["path"] for x in listed[key].get("conflicts", []))
            if paths != s["conflicts"]:
                ck.fail(key, "%s: conflicting paths %s, generated %s" % (
                    s["subclass"], compact(paths), compact(s["conflicts"])))
        else:
            merged += 1
            c[0] += 1
            d1 = diff_models(both, have_cat) + catalyst_kept(base[key], s, row)
            d2 = diff_models(both, have_cms)
            if d1 or d2:
                lost += 1
                ck.fail(key, "merged (%s) but an edit is missing on a side"
                        % s["subclass"],
                        ["catalyst " + x for x in d1] + ["cms " + x for x in d2])
            # the plan lists the types that are not in sync
            p = plan.get(key)
            if p and p.get("action") != "none":
                ck.fail(key, "merged, but the plan says %s" % compact(
                    {k: p.get(k) for k in ("action", "reason", "changes")}))
        if want_conflict != (key in listed):
            ck.fail(key, "%s: %s, expected %s" % (
                s["subclass"], "conflicted" if key in listed else "merged",
                "a conflict at " + compact(s["conflicts"])
                if want_conflict else "a clean merge"))
    for k in listed:
        if k not in base:
            ck.fail(k, "listed by conflicts, but not a generated type")
    # every conflict met is in the conflict log, pending
    logged = {}
    for c in load("log.json")["conflicts"]:
        logged.setdefault(c["type_key"], []).append(c)
    for s in scenarios:
        mine = logged.get(s["key"], [])
        paths = sorted(c["path"] for c in mine)
        if paths != s["conflicts"] or any(c["resolution"] != "pending"
                                          for c in mine):
            ck.fail(s["key"], "the conflict log holds %s" % compact(
                [[c["path"], c["resolution"]] for c in mine]))
    print("# %d scenarios: %d merged automatically, %d conflicts "
          "(%d expected), %d edits lost" % (
              len(scenarios), merged, conflicted, expected_conflicts, lost))
    for k in sorted(by_class):
        print("#   %-14s %3d merged, %3d conflicted" % (k, *by_class[k]))
    if conflicted != expected_conflicts or lost:
        ck.failures += 1
    if ck.failures:
        print("# %d failed checks" % ck.failures)
        sys.exit(1)


def cmd_verify_resolved(strategy, keys):
    base = {t["key"]: t for t in load("base.json")["types"]}
    scen = {s["key"]: s for s in load("scenarios.json")}
    rows, cms = load_sides("after")
    ck = Checker()
    for key in keys:
        s = scen[key]
        win = "catalyst" if strategy == "local" else "cms"
        want = resolved_model(base[key], s, strategy)
        row = rows.get(s["name"])
        doc = cms.get(key)
        if row is None or doc is None:
            ck.fail(key, "the type is gone")
            continue
        d1 = diff_models(want, model_of_fields(row_fields(row))) + \
            catalyst_kept(base[key], s, row)
        d2 = diff_models(want, model_of_type(doc["type"]))
        if d1 or d2:
            ck.fail(key, "--strategy %s (%s): not the %s side's value on %s "
                    "plus every other edit" % (strategy, s["subclass"], win,
                                               compact(s["conflicts"])),
                    ["catalyst " + x for x in d1] + ["cms " + x for x in d2])
    print("# resolve --strategy %s: %d types checked, %d failed" % (
        strategy, len(keys), ck.failures))
    if ck.failures:
        sys.exit(1)


def cmd_verify_untouched(resolved):
    """The conflicted types not in resolved: still as before the apply,
    still listed (conflicts2.json) at the same paths."""
    rows_b, cms_b = load_sides("before")
    rows_a, cms_a = load_sides("after")
    listed = {t["key"]: t for t in load("conflicts2.json")["types"]}
    ck = Checker()
    n = 0
    for s in load("scenarios.json"):
        key = s["key"]
        if not s["conflicts"] or key in resolved:
            continue
        n += 1
        if rows_a.get(s["name"]) != rows_b.get(s["name"]):
            ck.fail(key, "its Catalyst row changed")
        if cms_a.get(key) != cms_b.get(key):
            ck.fail(key, "its CMS type changed")
        paths = sorted(x["path"] for x in listed.get(key, {}).get("conflicts", []))
        if paths != s["conflicts"]:
            ck.fail(key, "conflicting paths %s, generated %s" % (
                compact(paths), compact(s["conflicts"])))
    print("# %d conflicts left alone: %d failed checks" % (n, ck.failures))
    if ck.failures:
        sys.exit(1)


def cmd_pick(n):
    """n conflicted scenarios for each strategy, every kind of conflict
    (with non-conflicting extras where there are) settled both ways:
    "remote KEY..." and "local KEY..." lines, then "data-loss KEY...":
    those whose resolution removes a property the CMS holds."""
    groups = {}
    for s in load("scenarios.json"):
        if s["conflicts"]:
            kind = s["subclass"].replace("+extras", "")
            groups.setdefault(kind, []).append(s)
    for g in groups.values():
        g.sort(key=lambda s: ("+extras" not in s["subclass"], s["key"]))
    remote, local = [], []
    while len(remote) < n and any(groups.values()):
        for kind in sorted(groups):
            for out in (remote, local):
                if groups[kind] and len(out) < n:
                    out.append(groups[kind].pop(0)["key"])
    picked = remote + local
    base = {t["key"]: t for t in load("base.json")["types"]}
    scen = {s["key"]: s for s in load("scenarios.json")}
    loses = []
    for strategy, keys in (("remote", remote), ("local", local)):
        print(strategy + " " + " ".join(keys))
        for k in keys:
            cms_has = apply_edits(model_of_fields(base[k]["fields"]), scen[k]["cms"])
            if set(cms_has) - set(resolved_model(base[k], scen[k], strategy)):
                loses.append(k)
    print("data-loss " + " ".join(loses))


def resolved_model(t, s, strategy):
    """base with the winner's edits, then the loser's that do not touch a
    conflicting path."""
    win, lose = ("catalyst", "cms") if strategy == "local" else ("cms", "catalyst")
    return apply_edits(apply_edits(model_of_fields(t["fields"]), s[win]),
                       s[lose], s["conflicts"])


def main(argv):
    if len(argv) >= 4 and argv[1] == "base":
        cmd_base(int(argv[2]), int(argv[3]))
    elif len(argv) == 3 and argv[1] == "edits":
        cmd_edits(int(argv[2]))
    elif len(argv) == 2 and argv[1] == "verify":
        cmd_verify()
    elif len(argv) >= 2 and argv[1] == "verify-untouched":
        cmd_verify_untouched(set(argv[2:]))
    elif len(argv) == 3 and argv[1] == "pick":
        cmd_pick(int(argv[2]))
    elif len(argv) >= 3 and argv[1] == "verify-resolved":
        cmd_verify_resolved(argv[2], argv[3:])
    else:
        die("usage: concurrent_edits.py base N SEED | edits SEED | verify | "
            "verify-resolved STRATEGY KEY...")


if __name__ == "__main__":
    main(sys.argv)
