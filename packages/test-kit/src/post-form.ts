/** Form fields: a value, or an array for a parameter sent several times (or, empty, not at all). */
export type FormFields = Record<string, string | readonly string[]>

/** The fields as ordered pairs, an array's values one after the other. */
export function formPairs(fields: FormFields): Array<[string, string]> {
  return Object.entries(fields).flatMap(([name, value]) => [value].flat().map((v): [string, string] => [name, v]))
}

/**
 * POSTs `fields` form-encoded to `url`, asking for JSON: what a token endpoint receives. `contentType`
 * labels the body otherwise (the body stays form-encoded), for the content-type attacks.
 */
export function postForm(
  url: string,
  fields: FormFields,
  headers: Record<string, string> = {},
  contentType = 'application/x-www-form-urlencoded',
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json', ...headers },
    body: new URLSearchParams(formPairs(fields)).toString(),
  })
}
