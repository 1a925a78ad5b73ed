// Derives the JSON schemas in schemas/ (what mesh.config.ts gives the json-schema sources as
// responseSchema) from the real simulator answers in samples/ (capture-samples.sh).
//
//   node gen-schemas.mjs
//
// Why not `responseSample` straight away: @omnigraph/json-schema infers a type from a sample
// with to-json-schema, which keeps the fields of only some of a list's records (the vendors
// leave empty fields out, so records differ), types U8's `mobile` (a string in some records, an
// 11-digit number in others) as Int, which then fails on both, types always-null fields as
// `Void`, and turns e-mails and URLs into validating scalars. Here every record of a sample is
// looked at: a field's type is the union of what it holds, any mix of strings and numbers
// becomes String, integers past 32 bits become Float, null-only fields become String, and
// strings carry no format. The sample also stays out of the supergraph (no @example).

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sample = name => JSON.parse(readFileSync(join(here, 'samples', name), 'utf8'));

const INT32 = 2 ** 31;

// infer returns a JSON schema describing every value in values (undefined = field absent).
// names maps "Parent.field" to the title of the object type found there.
function infer(values, title, names) {
  const present = values.filter(v => v !== undefined && v !== null);
  if (present.length === 0) return { type: 'string', description: 'null in every sampled record' };
  const kinds = new Set(present.map(v => (Array.isArray(v) ? 'array' : typeof v)));
  if (kinds.size === 1 && kinds.has('array')) {
    return { type: 'array', items: infer(present.flat(), title, names) };
  }
  if (kinds.size === 1 && kinds.has('object')) {
    const keys = [...new Set(present.flatMap(Object.keys))];
    const properties = {};
    for (const key of keys) {
      const childTitle = names[`${title}.${key}`] ?? `${title}${key[0].toUpperCase()}${key.slice(1)}`;
      properties[key] = infer(
        present.map(o => o[key]),
        childTitle,
        names,
      );
    }
    return { title, type: 'object', properties };
  }
  if (kinds.size === 1 && kinds.has('boolean')) return { type: 'boolean' };
  if (kinds.size === 1 && kinds.has('number')) {
    const int = present.every(n => Number.isInteger(n) && Math.abs(n) < INT32);
    return { type: int ? 'integer' : 'number' };
  }
  if ([...kinds].every(k => k === 'string' || k === 'number')) {
    return kinds.size === 1 ? { type: 'string' } : { type: 'string', description: 'a string or a number on the wire' };
  }
  return {}; // anything else: the JSON scalar
}

// object builds a definition from explicit properties (envelopes), each a schema.
const object = (title, properties) => ({ title, type: 'object', properties });
const ref = name => ({ $ref: `#/definitions/${name}` });
const list = name => ({ type: 'array', items: ref(name) });
// props infers the scalar fields of an envelope from the sample, leaving out the given keys.
const props = (obj, skip = []) =>
  Object.fromEntries(Object.keys(obj).filter(k => !skip.includes(k)).map(k => [k, infer([obj[k]], k, {})]));

// Nested object types are hoisted into definitions so that each is named once.
function hoist(schema, definitions) {
  if (schema.type === 'array') return { ...schema, items: hoist(schema.items, definitions) };
  if (schema.type !== 'object' || !schema.title) return schema;
  const properties = {};
  for (const [k, v] of Object.entries(schema.properties)) properties[k] = hoist(v, definitions);
  definitions[schema.title] = { ...schema, properties };
  return ref(schema.title);
}

function write(name, definitions) {
  const file = join(here, 'schemas', name);
  mkdirSync(dirname(file), { recursive: true });
  const doc = { definitions };
  writeFileSync(file, JSON.stringify(doc, null, 1) + '\n');
  console.log(`wrote schemas/${name}: ${Object.keys(definitions).join(', ')}`);
}

// U8: the list's records and the single record share one Customer type.
{
  const page = sample('u8-customer-batch_get.json');
  const one = sample('u8-customer-get.json');
  const defs = {};
  hoist(infer([...page.customer, one.customer], 'Customer', {}), defs);
  defs.CustomerPage = object('CustomerPage', { ...props(page, ['customer']), customer: list('Customer') });
  defs.CustomerAnswer = object('CustomerAnswer', { ...props(one, ['customer']), customer: ref('Customer') });
  write('u8.json', defs);
}

// YCM: { data: { pageSize, pageNumber, total, list: [Customer] }, requestId, status, time }.
{
  const page = sample('ycm-customers.json');
  const defs = {};
  hoist(infer(page.data.list, 'Customer', {}), defs);
  defs.CustomerPageData = object('CustomerPageData', { ...props(page.data, ['list']), list: list('Customer') });
  defs.CustomerPage = object('CustomerPage', {
    ...props(page, ['data']),
    errorCode: { type: 'integer' },
    message: { type: 'string' },
    data: ref('CustomerPageData'),
  });
  write('ycm.json', defs);
}

// CRM: the list's items and matching_name's items share one Customer type (matching_name's
// lack the list-only fields, which are then null).
{
  const page = sample('crm-customers.json');
  const match = sample('crm-matching_name.json');
  const names = { 'Customer.address': 'Address', 'Customer.contacts': 'Contact', 'Contact.address': 'ContactAddress' };
  const defs = {};
  hoist(infer([...page.data.customers, ...match.data.customers], 'Customer', names), defs);
  defs.CustomerPageData = object('CustomerPageData', {
    ...props(page.data, ['customers']),
    customers: list('Customer'),
  });
  defs.CustomerPage = object('CustomerPage', {
    ...props(page, ['data']),
    message: { type: 'string' },
    data: ref('CustomerPageData'),
  });
  defs.MatchingNameData = object('MatchingNameData', { customers: list('Customer') });
  defs.MatchingName = object('MatchingName', {
    ...props(match, ['data']),
    message: { type: 'string' },
    data: ref('MatchingNameData'),
  });
  write('crm.json', defs);
}
