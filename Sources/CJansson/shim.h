#ifndef APRKIT_CJANSSON_SHIM_H
#define APRKIT_CJANSSON_SHIM_H
#include <jansson.h>

/* jansson's type tests and reference counting are macros or inline
   functions on a struct Swift imports opaquely; these wrappers make them
   callable. */
static inline int aprkit_json_typeof(const json_t *json) { return (int)json_typeof(json); }
static inline void aprkit_json_decref(json_t *json) { json_decref(json); }
static inline int aprkit_json_object_set_new(json_t *o, const char *k, json_t *v) {
    return json_object_set_new(o, k, v);
}
static inline int aprkit_json_array_append_new(json_t *a, json_t *v) {
    return json_array_append_new(a, v);
}

/* Why parsing stopped, as jansson's json_error_code (an inline function on
   the error's last byte). */
static inline int aprkit_json_error_code(const json_error_t *error) {
    return (int)json_error_code(error);
}

/* The flags every tool prints with: one compact line, doubles round-trip. */
static inline size_t aprkit_json_dump_flags(void) {
    return JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
}

/* The flags every tool parses with: duplicate keys are refused, and so is
   a \u0000 escape (no JSON_ALLOW_NUL): a parsed string never holds a NUL,
   which a C string, and so every libpq parameter, would cut short. */
static inline size_t aprkit_json_load_flags(void) {
    return JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
}

enum {
    APRKIT_JSON_OBJECT = JSON_OBJECT,
    APRKIT_JSON_ARRAY = JSON_ARRAY,
    APRKIT_JSON_STRING = JSON_STRING,
    APRKIT_JSON_INTEGER = JSON_INTEGER,
    APRKIT_JSON_REAL = JSON_REAL,
    APRKIT_JSON_TRUE = JSON_TRUE,
    APRKIT_JSON_FALSE = JSON_FALSE,
    APRKIT_JSON_NULL = JSON_NULL
};

enum {
    APRKIT_JSON_ERROR_PREMATURE_END = json_error_premature_end_of_input,
    APRKIT_JSON_ERROR_NULL_CHARACTER = json_error_null_character,
    APRKIT_JSON_ERROR_NULL_BYTE_IN_KEY = json_error_null_byte_in_key,
    APRKIT_JSON_ERROR_NUMERIC_OVERFLOW = json_error_numeric_overflow
};
#endif
