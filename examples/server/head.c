#include "head.h"

#include <llhttp.h>

void head_reset(head *h) {
  h->bytes.len = 0;
  h->url = h->url_len = 0;
  h->n_fields = 0;
  h->in_name = h->too_large = false;
}

static int append(head *h, const char *p, size_t n) {
  if (h->bytes.len + n > h->max_bytes) {
    h->too_large = true;
    return HPE_USER;
  }
  wbuf_put(&h->bytes, p, n);
  return h->bytes.failed ? HPE_USER : HPE_OK;
}

int head_url(head *h, const char *p, size_t n) {
  if (!h->url_len) h->url = (uint32_t)h->bytes.len;
  h->url_len += (uint32_t)n;
  return append(h, p, n);
}

int head_field_name(head *h, const char *p, size_t n) {
  if (!h->in_name) {
    if (h->n_fields == MAX_HEADERS || h->n_fields == h->max_fields) {
      h->too_large = true;
      return HPE_USER;
    }
    h->fields[h->n_fields++] = (field){(uint32_t)h->bytes.len, 0, 0, 0};
    h->in_name = true;
  }
  h->fields[h->n_fields - 1].name_len += (uint32_t)n;
  return append(h, p, n);
}

int head_field_value(head *h, const char *p, size_t n) {
  field *f = &h->fields[h->n_fields - 1];
  if (h->in_name) {
    f->value = (uint32_t)h->bytes.len;
    h->in_name = false;
  }
  f->value_len += (uint32_t)n;
  return append(h, p, n);
}

void head_views(const head *h, gh_header *out) {
  for (size_t i = 0; i < h->n_fields; i++) {
    const field *f = &h->fields[i];
    out[i] = (gh_header){h->bytes.p + f->name, h->bytes.p + f->value, f->name_len, f->value_len};
  }
}

const char *head_find(const head *h, const char *name, size_t *len) {
  for (size_t i = 0; i < h->n_fields; i++)
    if (name_is(h->bytes.p + h->fields[i].name, h->fields[i].name_len, name)) {
      *len = h->fields[i].value_len;
      return h->bytes.p + h->fields[i].value;
    }
  *len = 0;
  return NULL;
}
