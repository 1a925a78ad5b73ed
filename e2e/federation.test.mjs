// Apollo Federation v2: custgraph as a subgraph beside a "reviews"
// subgraph (made here with @apollo/subgraph) that extends Customer
// @key(fields: "id") with rating and notes and returns Customer
// references of its own; both composed by @apollo/gateway
// (IntrospectAndCompose) and served by @apollo/server.
//
// custgraph runs as production starts it (CUSTGRAPH_DEMO=off, so
// introspection off) behind an API key: the router composes from _service
// and resolves references with _entities, the subgraph contract that must
// answer without public introspection, and authenticates every call to
// custgraph (composition included) as a real router would.
//
// Env: CUSTGRAPH_FEDERATION_URL (that custgraph's /graphql),
// CUSTGRAPH_FEDERATION_KEY (its API key) and CUSTGRAPH_SIM_URL (the
// simulators custgraph calls, for their call counters: GET /_sim/stats,
// POST /_sim/reset). e2e/run.sh sets them, with the CRM quota off so that
// the lookups here never wait for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { parse } from 'graphql';

// Nothing here may call out: @apollo/gateway otherwise probes cloud
// metadata endpoints and exports usage metrics to Apollo, and an
// APOLLO_KEY would have Apollo Server report usage.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
delete process.env.APOLLO_KEY;
delete process.env.APOLLO_GRAPH_REF;

const custgraphURL = process.env.CUSTGRAPH_FEDERATION_URL;
const custgraphKey = process.env.CUSTGRAPH_FEDERATION_KEY;
const simURL = process.env.CUSTGRAPH_SIM_URL;
const skip = (!custgraphURL || !custgraphKey || !simURL) && 'CUSTGRAPH_FEDERATION_URL, CUSTGRAPH_FEDERATION_KEY and CUSTGRAPH_SIM_URL are not set (run sh e2e/run.sh)';
const auth = { authorization: `Bearer ${custgraphKey}` };

/** The reviews subgraph's rating of a customer: 1 to 5, from its id alone. */
export function ratingOf(id) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.codePointAt(0)) % 1000003;
  return 1 + (h % 5);
}

/** U8 codes are 00000001 upwards (300 records in the simulators). */
const u8 = (n) => `u8:${String(n).padStart(8, '0')}`;

const reviewsTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  extend type Customer @key(fields: "id") {
    id: ID!
    "1 to 5, derived from the id (the reviews service's own data)."
    rating: Int!
    notes: [String!]!
  }

  type Query {
    "References to custgraph's customers, in the order given, repeats kept: custgraph resolves them (_entities)."
    topCustomers(ids: [ID!]!): [Customer!]!
  }
`);

const reviewsResolvers = {
  Query: {
    topCustomers: (_, { ids }) => ids.map((id) => ({ __typename: 'Customer', id })),
  },
  Customer: {
    __resolveReference: (ref) => ({ id: ref.id }),
    rating: (c) => ratingOf(c.id),
    notes: (c) => [`reviewed ${c.id}`],
  },
};

let reviews, gatewayServer, gatewayURL;
/** Every subgraph fetch the gateway made: { service, query, representations }. */
const fetches = [];

before(async () => {
  if (skip) return;
  reviews = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: reviewsTypeDefs, resolvers: reviewsResolvers }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url: reviewsURL } = await startStandaloneServer(reviews, { listen: { host: '127.0.0.1', port: 0 } });

  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: [
        { name: 'custgraph', url: custgraphURL },
        { name: 'reviews', url: reviewsURL },
      ],
      // No polling: composed once at start.
    }),
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request }) {
        if (name === 'custgraph') request.http.headers.set('authorization', auth.authorization);
        fetches.push({ service: name, query: request.query, representations: request.variables?.representations?.length });
      },
    }),
  });
  gatewayServer = new ApolloServer({ gateway });
  ({ url: gatewayURL } = await startStandaloneServer(gatewayServer, { listen: { host: '127.0.0.1', port: 0 } }));
  console.log(`reviews subgraph ${reviewsURL}, gateway ${gatewayURL} over custgraph ${custgraphURL}`);
});

after(async () => {
  await gatewayServer?.stop();
  await reviews?.stop();
});

async function post(url, query, variables, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  return { status: res.status, body };
}

/** Runs query through the gateway, prints it and its answer, and returns data. */
async function federated(query, variables) {
  const { status, body } = await post(gatewayURL, query, variables);
  console.log(`federation query: ${query.replace(/\s+/g, ' ').trim()}${variables ? ` ${JSON.stringify(variables)}` : ''}\n  -> ${JSON.stringify(body)}`);
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Runs query on custgraph alone. */
async function direct(query, variables) {
  const { status, body } = await post(custgraphURL, query, variables, auth);
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

async function simStats() {
  const res = await fetch(`${simURL}/_sim/stats`);
  assert.equal(res.status, 200);
  return (await res.json()).calls ?? {};
}

/** The by-id lookups each source made since the last reset. */
function byIdCalls(calls) {
  return {
    U8: calls['u8 GET /api/customer/get'] ?? 0,
    YCM: calls['ycm GET /dm/open_api/v1/customers/{id}'] ?? 0,
    CRM: calls['crm GET /api/v2/customers/{id}'] ?? 0,
  };
}

test('federation: the subgraph runs as production does: no public introspection, the router authenticated', { skip }, async () => {
  const intro = await post(custgraphURL, '{ __schema { queryType { name } } }', undefined, auth);
  assert.equal(intro.body.errors?.[0]?.extensions?.code, 'INTROSPECTION_DISABLED', JSON.stringify(intro.body));
  const anonymous = await post(custgraphURL, '{ _service { sdl } }');
  assert.equal(anonymous.status, 401);
  const sdl = await post(custgraphURL, '{ _service { sdl } }', undefined, auth);
  assert.equal(sdl.status, 200);
  assert.equal(sdl.body.errors, undefined, JSON.stringify(sdl.body.errors));
  assert.match(sdl.body.data._service.sdl, /type Customer implements Node @key\(fields: "id"\)/);
});

test('federation: a page of custgraph customers with the reviews subgraph\'s rating', { skip }, async () => {
  const query = `{ customers(first: 6) { edges { node { id name rating notes } } } }`;
  const data = await federated(query);
  const alone = await direct(`{ customers(first: 6) { edges { node { id name } } } }`);
  const nodes = data.customers.edges.map((e) => e.node);
  assert.equal(nodes.length, 6);
  assert.deepEqual(nodes.map(({ id, name }) => ({ id, name })), alone.customers.edges.map((e) => e.node));
  for (const n of nodes) {
    assert.equal(n.rating, ratingOf(n.id));
    assert.deepEqual(n.notes, [`reviewed ${n.id}`]);
  }
  assert.deepEqual(new Set(nodes.map((n) => n.id.split(':')[0])), new Set(['u8', 'ycm', 'crm']), 'every source is on the page');
});

test('federation: one customer by id, fields from both subgraphs', { skip }, async () => {
  const data = await federated(`{ customer(id: "u8:00000001") { name source rating } }`);
  const alone = await direct(`{ customer(id: "u8:00000001") { name source } }`);
  assert.deepEqual(data.customer, { ...alone.customer, rating: ratingOf('u8:00000001') });
});

test('federation: N entity representations cost one _entities request and at most one vendor call per distinct record', { skip }, async () => {
  // Ten U8 records no other test asks for (so that the gateway's record
  // cache holds none of them), two of them asked twice: twelve references.
  const distinct = Array.from({ length: 10 }, (_, i) => u8(201 + i));
  const ids = [...distinct, distinct[0], distinct[5]];
  const query = `query Top($ids: [ID!]!) { topCustomers(ids: $ids) { id name rating } }`;

  await fetch(`${simURL}/_sim/reset`, { method: 'POST' });
  fetches.length = 0;
  const data = await federated(query, { ids });
  const calls = byIdCalls(await simStats());
  console.log(`  subgraph fetches: ${fetches.map((f) => `${f.service}${f.representations ? ` _entities(${f.representations} representations)` : ''}`).join(', ')}`);
  console.log(`  vendor calls by id: ${JSON.stringify(calls)}`);

  const names = await direct(`query($ids: [ID!]!) { customersByIds(ids: $ids) { id name } }`, { ids });
  assert.deepEqual(data.topCustomers.map(({ id, name }) => ({ id, name })), names.customersByIds);
  assert.deepEqual(data.topCustomers.map((c) => c.rating), ids.map(ratingOf));

  // The gateway asks custgraph once, for all the references.
  const toCustgraph = fetches.filter((f) => f.service === 'custgraph');
  assert.equal(toCustgraph.length, 1, 'one fetch from custgraph');
  assert.match(toCustgraph[0].query, /_entities\(representations:/);
  assert.ok(toCustgraph[0].representations >= distinct.length && toCustgraph[0].representations <= ids.length);
  // custgraph's loaders batch the representations and merge repeats: U8
  // has no multi-get, so one call per distinct record, none for a repeat.
  assert.deepEqual(calls, { U8: distinct.length, YCM: 0, CRM: 0 });

  // Asked again, the records come from custgraph's cache: no vendor call.
  await fetch(`${simURL}/_sim/reset`, { method: 'POST' });
  await federated(query, { ids });
  assert.deepEqual(byIdCalls(await simStats()), { U8: 0, YCM: 0, CRM: 0 });
});

test('federation: references from every source in one _entities request', { skip }, async () => {
  // CRM list pages do not fill the by-id cache, so these CRM records are
  // looked up by id; YCM's records may already be cached (its list pages,
  // read for the name index, fill the cache), so YCM may cost nothing.
  const lists = await direct(`{
    ycm: customers(sources: [YCM], first: 40) { nodes { id } }
    crm: customers(sources: [CRM], first: 40) { nodes { id } } }`);
  const ycm = lists.ycm.nodes.slice(30, 33).map((n) => n.id);
  const crm = lists.crm.nodes.slice(30, 33).map((n) => n.id);
  const u8s = [u8(221), u8(222), u8(223)];
  const ids = [u8s[0], ycm[0], crm[0], u8s[1], ycm[1], crm[1], u8s[2], ycm[2], crm[2], crm[0], u8s[0]];
  const query = `query Top($ids: [ID!]!) { topCustomers(ids: $ids) { id source name rating } }`;

  await fetch(`${simURL}/_sim/reset`, { method: 'POST' });
  fetches.length = 0;
  const data = await federated(query, { ids });
  const calls = byIdCalls(await simStats());
  console.log(`  subgraph fetches: ${fetches.map((f) => `${f.service}${f.representations ? ` _entities(${f.representations} representations)` : ''}`).join(', ')}`);
  console.log(`  vendor calls by id: ${JSON.stringify(calls)}`);

  const names = await direct(`query($ids: [ID!]!) { customersByIds(ids: $ids) { id source name } }`, { ids });
  assert.deepEqual(data.topCustomers.map(({ id, source, name }) => ({ id, source, name })), names.customersByIds);
  assert.deepEqual(data.topCustomers.map((c) => c.rating), ids.map(ratingOf));
  assert.equal(fetches.filter((f) => f.service === 'custgraph').length, 1, 'one fetch from custgraph');
  assert.equal(calls.U8, 3);
  assert.equal(calls.CRM, 3);
  assert.ok(calls.YCM <= 3, `YCM calls ${calls.YCM}`);
});
