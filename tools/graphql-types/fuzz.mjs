// Schema fuzzing of bff-web's GraphQL endpoint, in the spirit of the schemathesis run: random
// queries and mutations that are valid against bff-web/schema.graphql (random fields, arguments
// from edge-case pools, aliases, fragments), plus a share of over-limit ones (too deep, too many
// aliases, too long). Every answer must be well-formed: never a 5xx; a 200 is a JSON object with
// only `data`/`errors`/`extensions`, each error with a `message` and an `extensions.code`, and
// `data` present when there is no error; a 413 is problem+json. Deterministic for a seed.
//
// Usage: node fuzz.mjs URL COUNT SEED [Cookie header]   (URL: http://host:port/graphql)
import { readFileSync } from 'node:fs';
import {
  buildSchema, getNamedType, isEnumType, isListType, isNonNullType, isObjectType, isScalarType,
} from 'graphql';

const [url, countArg = '200', seedArg = '1', cookie = ''] = process.argv.slice(2);
const schemaPath = new URL('../../bff-web/schema.graphql', import.meta.url);
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
const MAX_DEPTH = 9; // under graphql.max_depth (10)

// mulberry32: a small seeded generator, so that a failure can be replayed.
let state = Number(seedArg) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (items) => items[Math.floor(random() * items.length)];
const chance = (p) => random() < p;

const INTS = [0, 1, -1, 2, 10, 12, 24, 48, 49, 50, 99, 100, 1000, 2147483647, -2147483648];
const STRINGS = ['', 'wireless', 'headphones lumen', 'audio', '../x', 'a b', 'é'.repeat(3),
  'x'.repeat(250), '\u0000', '\n', '<script>', 'b2Zmc2V0OjI0', 'b2Zmc2V0Ojk5OTk5OQ', 'bm9wZQ', '%00'];
const IDS = ['p00001', 'p00042', 'p01999', 'p02000', 'p99999', '', 'P1', '../../etc/passwd', 'p0000١'];

function literal(type) {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return pick(type.getValues()).name;
  switch (type.name) {
    case 'Int': return String(pick(INTS));
    case 'Float': return String(pick([0, 1.5, -1]));
    case 'Boolean': return pick(['true', 'false']);
    case 'ID': return JSON.stringify(pick(IDS));
    default: return JSON.stringify(pick(STRINGS));
  }
}

function args(field) {
  const out = [];
  for (const arg of field.args) {
    if (isNonNullType(arg.type) || chance(0.5)) {
      out.push(`${arg.name}: ${chance(0.2) && !isNonNullType(arg.type) ? 'null' : literal(arg.type)}`);
    }
  }
  return out.length ? `(${out.join(', ')})` : '';
}

let aliases = 0;
function selection(type, depth) {
  const fields = Object.values(type.getFields());
  const scalars = fields.filter((f) => !isObjectType(getNamedType(f.type)));
  const usable = depth >= MAX_DEPTH ? scalars : fields;
  const chosen = new Set();
  const wanted = 1 + Math.floor(random() * Math.min(4, usable.length));
  while (chosen.size < wanted) chosen.add(pick(usable));
  const parts = [];
  for (const field of chosen) {
    const alias = chance(0.1) && aliases < 20 ? `a${aliases++}: ` : '';
    const named = getNamedType(field.type);
    const sub = isObjectType(named) ? ` { ${selection(named, depth + 1)} }` : '';
    parts.push(`${alias}${field.name}${args(field)}${sub}`);
  }
  if (chance(0.05)) parts.push('__typename');
  if (chance(0.05)) parts.push(`... on ${type.name} { ${scalars.length ? pick(scalars).name : '__typename'} }`);
  return parts.join(' ');
}

function operation() {
  aliases = 0;
  const roll = random();
  if (roll < 0.05) return `{ ${Array.from({ length: 40 }, (_, i) => `x${i}: categories { id }`).join(' ')} }`;
  if (roll < 0.08) return `{ categories { id } } # ${'x'.repeat(9000)}`;
  if (roll < 0.11) {
    let deep = 'id';
    for (let i = 0; i < 12; i += 1) deep = `related { ${deep} }`;
    return `{ product(id: "p00001") { ${deep} } }`;
  }
  if (roll < 0.25) return `mutation { ${selection(schema.getMutationType(), 1)} }`;
  return `query Fuzz { ${selection(schema.getQueryType(), 1)} }`;
}

function problems(status, type, text) {
  const out = [];
  if (status >= 500) out.push(`status ${status}`);
  if (status === 413) {
    if (!type.startsWith('application/problem+json')) out.push(`413 as ${type}`);
    return out;
  }
  if (status !== 200) return [...out, `status ${status}`];
  if (!type.startsWith('application/json')) out.push(`content type ${type}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return [...out, 'not JSON'];
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [...out, 'not an object'];
  const extra = Object.keys(body).filter((k) => !['data', 'errors', 'extensions'].includes(k));
  if (extra.length) out.push(`unexpected keys ${extra}`);
  if (body.errors !== undefined) {
    if (!Array.isArray(body.errors) || body.errors.length === 0) out.push('errors is not a list');
    for (const error of body.errors || []) {
      if (typeof error.message !== 'string') out.push('an error without message');
      if (typeof error?.extensions?.code !== 'string') out.push(`an error without code: ${JSON.stringify(error)}`);
    }
  } else if (!body.data || typeof body.data !== 'object') {
    out.push('no data and no errors');
  }
  return out;
}

const headers = { 'Content-Type': 'application/json', 'X-CSRF': '1' };
if (cookie) headers.Cookie = cookie;
const codes = {};
let failures = 0;
const count = Number(countArg);
for (let i = 0; i < count; i += 1) {
  const query = operation();
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  const text = await response.text();
  const found = problems(response.status, response.headers.get('content-type') || '', text);
  if (response.status === 200) {
    for (const error of JSON.parse(text).errors || []) {
      const code = error.extensions?.code ?? 'none';
      codes[code] = (codes[code] || 0) + 1;
    }
  } else {
    codes[`HTTP ${response.status}`] = (codes[`HTTP ${response.status}`] || 0) + 1;
  }
  if (found.length) {
    failures += 1;
    console.log(`FAIL #${i} (seed ${seedArg}): ${found.join('; ')}\n  query: ${query.slice(0, 400)}\n  answer: ${text.slice(0, 400)}`);
  }
}
console.log(`graphql fuzz: ${count} operations, error codes ${JSON.stringify(codes)}`);
console.log(`${count - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
