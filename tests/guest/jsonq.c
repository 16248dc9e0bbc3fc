// SPDX-License-Identifier: GPL-2.0-only
/*
 * jsonq: a strict JSON (RFC 8259) validator and path query, for tests
 * (the guest's busybox has no jq or python).
 *
 *   jsonq [PATH...] < doc.json
 *
 * Exits 1 with "jsonq: invalid JSON at byte N: why" unless stdin is exactly
 * one JSON value (whitespace around it allowed). For each PATH prints one
 * line: a string's value unescaped (\uXXXX above ASCII as '?'), a number,
 * true/false/null as written, "object"/"array" for containers; exits 3 if
 * a path does not exist. PATH is a dot-separated list of object keys and
 * array indexes, e.g. ".groups.0.verdict"; a trailing "#" prints the number
 * of members/elements instead (".groups#").
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct node {
	enum kind kind;
	char *text;		/* J_STR unescaped; J_NUM/J_BOOL as written */
	char *key;		/* member name when inside an object */
	struct node *child, *next;
	int count;
};

static const char *src, *p;

static void fail(const char *why)
{
	fprintf(stderr, "jsonq: invalid JSON at byte %ld: %s\n",
		(long)(p - src), why);
	exit(1);
}

static void ws(void)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
}

static struct node *new_node(enum kind k)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		exit(2);
	n->kind = k;
	return n;
}

static char *parse_string(void)
{
	char *out = malloc(strlen(p) + 1), *o = out;

	if (*p++ != '"')
		fail("expected '\"'");
	while (*p != '"') {
		unsigned char c = *p;

		if (!c)
			fail("unterminated string");
		if (c < 0x20)
			fail("control character in string");
		if (c != '\\') {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			*o++ = *p++;
			break;
		case 'b': *o++ = '\b'; p++; break;
		case 'f': *o++ = '\f'; p++; break;
		case 'n': *o++ = '\n'; p++; break;
		case 'r': *o++ = '\r'; p++; break;
		case 't': *o++ = '\t'; p++; break;
		case 'u': {
			int i;
			unsigned int v = 0;

			p++;
			for (i = 0; i < 4; i++, p++) {
				if (!isxdigit((unsigned char)*p))
					fail("bad \\u escape");
				v = v * 16 + (isdigit((unsigned char)*p) ?
				     *p - '0' : (tolower(*p) - 'a' + 10));
			}
			*o++ = v < 0x80 ? (char)v : '?';
			break;
		}
		default:
			fail("bad escape");
		}
	}
	p++;
	*o = 0;
	return out;
}

static char *parse_number(void)
{
	const char *s = p;
	char *t;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		fail("bad number");
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			fail("bad fraction");
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			fail("bad exponent");
		while (isdigit((unsigned char)*p))
			p++;
	}
	t = strndup(s, p - s);
	return t;
}

static struct node *parse_value(int depth)
{
	struct node *n, **tail;

	if (depth > 64)
		fail("nested too deep");
	ws();
	switch (*p) {
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';

		n = new_node(*p == '{' ? J_OBJ : J_ARR);
		tail = &n->child;
		p++;
		ws();
		if (*p == close) {
			p++;
			return n;
		}
		for (;;) {
			char *key = NULL;
			struct node *c;

			ws();
			if (n->kind == J_OBJ) {
				key = parse_string();
				ws();
				if (*p++ != ':')
					fail("expected ':'");
			}
			c = parse_value(depth + 1);
			c->key = key;
			*tail = c;
			tail = &c->next;
			n->count++;
			ws();
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != close)
				fail("expected ',' or closing bracket");
			return n;
		}
	}
	case '"':
		n = new_node(J_STR);
		n->text = parse_string();
		return n;
	case 't':
	case 'f':
	case 'n': {
		const char *w = *p == 't' ? "true" : *p == 'f' ? "false" : "null";

		if (strncmp(p, w, strlen(w)))
			fail("bad literal");
		p += strlen(w);
		n = new_node(*w == 'n' ? J_NULL : J_BOOL);
		n->text = strdup(w);
		return n;
	}
	default:
		n = new_node(J_NUM);
		n->text = parse_number();
		return n;
	}
}

static struct node *lookup(struct node *n, const char *path)
{
	char *copy = strdup(path), *tok, *save;

	for (tok = strtok_r(copy, ".", &save); tok && n;
	     tok = strtok_r(NULL, ".", &save)) {
		struct node *c;

		if (n->kind == J_OBJ) {
			for (c = n->child; c && strcmp(c->key, tok); c = c->next)
				;
		} else if (n->kind == J_ARR) {
			char *end;
			long i = strtol(tok, &end, 10);

			if (*end || i < 0)
				return NULL;
			for (c = n->child; c && i--; c = c->next)
				;
		} else {
			c = NULL;
		}
		n = c;
	}
	free(copy);
	return n;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf) - 1, stdin);
	struct node *root;
	int i, rc = 0;

	buf[len] = 0;
	if (strlen(buf) != len) {
		p = src = buf;
		p += strlen(buf);
		fail("NUL byte");
	}
	src = p = buf;
	root = parse_value(0);
	ws();
	if (*p)
		fail("trailing data after the value");

	for (i = 1; i < argc; i++) {
		char path[512];
		bool count;
		struct node *n;

		snprintf(path, sizeof(path), "%s", argv[i]);
		count = len && path[strlen(path) - 1] == '#';
		if (count)
			path[strlen(path) - 1] = 0;
		n = lookup(root, path);
		if (!n) {
			fprintf(stderr, "jsonq: no such path: %s\n", argv[i]);
			rc = 3;
			continue;
		}
		if (count)
			printf("%d\n", n->count);
		else if (n->kind == J_OBJ || n->kind == J_ARR)
			printf("%s\n", n->kind == J_OBJ ? "object" : "array");
		else
			printf("%s\n", n->text);
	}
	return rc;
}
