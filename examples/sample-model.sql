-- The demo's sample Catalyst model: one website, five content types, in the
-- shapes Catalyst Studio itself writes (the UI builder's and AI tools' object
-- shape, and the seed scripts' plain array), with Catalyst's SQLite schema.
-- Build it with: sqlite3 catalyst.db < examples/sample-model.sql

CREATE TABLE "Website" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "category" TEXT NOT NULL,
    "metadata" TEXT,
    "icon" TEXT,
    "settings" TEXT,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
CREATE TABLE "ContentType" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "websiteId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fields" TEXT NOT NULL,
    "settings" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ContentType_websiteId_fkey" FOREIGN KEY ("websiteId") REFERENCES "Website" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE "ContentItem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "contentTypeId" TEXT NOT NULL,
    "websiteId" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "metadata" TEXT,
    "publishedAt" DATETIME,
    "slug" TEXT,
    CONSTRAINT "ContentItem_contentTypeId_fkey" FOREIGN KEY ("contentTypeId") REFERENCES "ContentType" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ContentItem_websiteId_fkey" FOREIGN KEY ("websiteId") REFERENCES "Website" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "ContentItem_websiteId_contentTypeId_idx" ON "ContentItem"("websiteId", "contentTypeId");
CREATE INDEX "ContentItem_slug_idx" ON "ContentItem"("slug");
CREATE INDEX "ContentItem_status_publishedAt_idx" ON "ContentItem"("status", "publishedAt");

INSERT INTO "Website" ("id","name","description","category","metadata","icon","settings","isActive","createdAt","updatedAt") VALUES ('cmnw01j0q0000nwjournal001','Northwind Journal','An online magazine about travel, food and the people behind them','Publishing','{"domain":"journal.northwind.example","language":"en"}','🧭','{"theme":"light"}',1,1761904800000,1761904800000);
INSERT INTO "ContentType" ("id","websiteId","name","fields","settings","createdAt","updatedAt") VALUES ('cmnw02a1b0001nwauthor0001','cmnw01j0q0000nwjournal001','Author','{"name":"Author","pluralName":"Authors","icon":"✍️","description":"A person who writes for the journal","fields":[{"id":"1761904801000_a1k2j3h4g","name":"fullName","label":"Full Name","type":"text","required":true,"validation":{"maxLength":80},"placeholder":"Enter text...","order":0},{"id":"1761904802000_b2l3k4j5h","name":"bio","label":"Biography","type":"richText","required":false,"helpText":"Two or three sentences shown under each article","placeholder":"Enter content...","order":1},{"id":"1761904803000_c3m4l5k6j","name":"photo","label":"Photo","type":"image","required":false,"validation":{"maxSize":5242880,"allowedTypes":["image/jpeg","image/png","image/webp"]},"order":2},{"id":"1761904804000_d4n5m6l7k","name":"website","label":"Personal Website","type":"url","required":false,"order":3}],"relationships":[]}','{"pluralName":"Authors","icon":"✍️","description":"A person who writes for the journal"}',1761904801000,1761904804000);
INSERT INTO "ContentType" ("id","websiteId","name","fields","settings","createdAt","updatedAt") VALUES ('cmnw02a1b0002nwcategory01','cmnw01j0q0000nwjournal001','Category','{"name":"Category","pluralName":"Categories","icon":"🏷️","description":"A section of the journal","fields":[{"name":"title","type":"text","required":true,"label":"Title","order":1,"id":"field_title_1761904811000_0"},{"name":"slug","type":"text","required":true,"label":"Slug","validation":{"pattern":"^[a-z0-9-]+$"},"order":2,"id":"field_slug_1761904812000_1"},{"name":"description","type":"textarea","required":false,"label":"Description","order":3,"id":"field_description_1761904813000_2"},{"name":"color","type":"select","required":false,"label":"Accent Colour","options":[{"label":"Ocean","value":"ocean"},{"label":"Forest","value":"forest"},{"label":"Sunset","value":"sunset"}],"order":4,"id":"field_color_1761904814000_3"}],"relationships":[]}','{"pluralName":"Categories","icon":"🏷️","description":"A section of the journal","category":"component"}',1761904811000,1761904811000);
INSERT INTO "ContentType" ("id","websiteId","name","fields","settings","createdAt","updatedAt") VALUES ('cmnw02a1b0003nwarticle001','cmnw01j0q0000nwjournal001','Article','{"name":"Article","pluralName":"Articles","icon":"📰","description":"A story published in the journal","fields":[{"id":"1761904821000_e5o6n7m8l","name":"headline","label":"Headline","type":"text","required":true,"validation":{"minLength":10,"maxLength":140},"helpText":"Shown as the page title","placeholder":"Enter text...","order":0},{"id":"1761904822000_f6p7o8n9m","name":"summary","label":"Summary","type":"textarea","required":false,"validation":{"maxLength":300},"order":1},{"id":"1761904823000_g7q8p9o0n","name":"body","label":"Body","type":"richText","required":true,"placeholder":"Enter content...","order":2},{"id":"1761904824000_h8r9q0p1o","name":"author","label":"Author","type":"reference","required":true,"order":3},{"id":"1761904825000_i9s0r1q2p","name":"categories","label":"Categories","type":"reference","required":false,"order":4},{"id":"1761904826000_j0t1s2r3q","name":"heroImage","label":"Hero Image","type":"image","required":false,"order":5},{"id":"1761904827000_k1u2t3s4r","name":"readingMinutes","label":"Reading Time (minutes)","type":"number","required":false,"defaultValue":5,"validation":{"min":1,"max":90,"precision":0},"order":6},{"id":"1761904828000_l2v3u4t5s","name":"publishedOn","label":"Published On","type":"date","required":true,"validation":{"minDate":"2020-01-01","format":"YYYY-MM-DD"},"order":7},{"id":"1761904829000_m3w4v5u6t","name":"featured","label":"Featured","type":"boolean","required":false,"defaultValue":false,"order":8},{"id":"1761904830000_n4x5w6v7u","name":"tags","label":"Tags","type":"tags","required":false,"order":9}],"relationships":[{"id":"1761904831000_o5y6x7w8v","name":"author","type":"manyToOne","sourceContentTypeId":"cmnw02a1b0003nwarticle001","targetContentTypeId":"cmnw02a1b0001nwauthor0001","fieldName":"author","isRequired":true},{"id":"1761904832000_p6z7y8x9w","name":"categories","type":"manyToMany","sourceContentTypeId":"cmnw02a1b0003nwarticle001","targetContentTypeId":"cmnw02a1b0002nwcategory01","fieldName":"categories","isRequired":false}]}','{"pluralName":"Articles","icon":"📰","description":"A story published in the journal"}',1761904821000,1761904833000);
INSERT INTO "ContentType" ("id","websiteId","name","fields","settings","createdAt","updatedAt") VALUES ('cmnw02a1b0004nwlanding001','cmnw01j0q0000nwjournal001','Landing Page','[{"name":"title","type":"text","required":true,"maxLength":120,"label":"Title"},{"name":"intro","type":"richtext","label":"Introduction"},{"name":"heroVideo","type":"media","accept":"video/*","label":"Hero Video"},{"name":"gallery","type":"gallery","label":"Gallery","maxItems":12},{"name":"priority","type":"select","options":[1,2,3],"label":"Priority"},{"name":"highlights","type":"array","itemType":"text","maxItems":5,"label":"Highlights"},{"name":"seo","type":"json","label":"SEO Settings"}]','{"displayName":"Landing Pages","icon":"🧭","category":"page"}',1761904841000,1761904841000);
INSERT INTO "ContentType" ("id","websiteId","name","fields","settings","createdAt","updatedAt") VALUES ('cmnw02a1b0005nwevent00001','cmnw01j0q0000nwjournal001','Event','{"name":"Event","pluralName":"Events","icon":"📅","fields":[{"name":"name","type":"text","required":true,"label":"Event Name","order":1,"id":"field_name_1761904851000_0"},{"name":"startsAt","type":"date","required":true,"label":"Starts At","order":2,"id":"field_startsAt_1761904852000_1"},{"name":"venue","type":"text","required":false,"label":"Venue","order":3,"id":"field_venue_1761904853000_2"},{"name":"capacity","type":"number","required":false,"label":"Capacity","validation":{"min":0,"precision":0},"order":4,"id":"field_capacity_1761904854000_3"},{"name":"ticketPrice","type":"number","required":false,"label":"Ticket Price","validation":{"min":0},"order":5,"id":"field_ticketPrice_1761904855000_4"},{"name":"formats","type":"multiselect","required":false,"label":"Formats","options":[{"label":"In person","value":"in_person"},{"label":"Online","value":"online"}],"order":6,"id":"field_formats_1761904856000_5"},{"name":"speakers","type":"reference","required":false,"label":"Speakers","order":7,"id":"field_speakers_1761904857000_6"}],"relationships":[{"id":"1761904858000_q7a8z9y0x","name":"speakers","type":"oneToMany","sourceContentTypeId":"cmnw02a1b0005nwevent00001","targetContentTypeId":"cmnw02a1b0001nwauthor0001","fieldName":"speakers","isRequired":false}]}','{"pluralName":"Events","icon":"📅","category":"page"}',1761904851000,1761904852000);
