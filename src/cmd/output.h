/*
 * output: printing shared by the commands (findings, JSON documents).
 */
#ifndef CMD_OUTPUT_H
#define CMD_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

struct findings;

/* The JSON format version of every document we print (docs/json-formats.md). */
#define OUTPUT_FORMAT_VERSION 1

/* Prints findings as "severity: path: message [code]" lines. */
void output_findings_text(FILE *out, const struct findings *f);
/* The findings as a new JSON array of {code, severity, path, message}. */
json_t *output_findings_json(const struct findings *f);
/* Prints v as indented JSON and a newline (insertion order kept). */
void output_json(FILE *out, const json_t *v);
/*
 * Saves doc as indented JSON in path: written next to it, synced, then
 * renamed over it, so that a reader never sees half a document (a plan,
 * a merge file). Errors name the file.
 */
int output_save_json(const char *path, const json_t *doc);

#endif
