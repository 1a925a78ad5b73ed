// Real GraphQL clients against custgraph: Apollo Client with automatic
// persisted queries, and graphql-request with variables.
//
// Env: CUSTGRAPH_GRAPHQL_URL (a custgraph /graphql endpoint; e2e/run.sh
// sets it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLClient, ClientError, gql as rgql } from 'graphql-request';

const url = process.env.CUSTGRAPH_GRAPHQL_URL;
const skip = !url && 'CUSTGRAPH_GRAPHQL_URL is not set (run sh e2e/run.sh)';

/** Posts a query with plain fetch: what custgraph answers, for comparison. */
async function ask(query, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

test('Apollo Client: automatic persisted queries (hash, PERSISTED_QUERY_NOT_FOUND, full query once, then hash only)', { skip }, async () => {
  const trace = [];
  // Records what the client sends and what it gets back.
  const tracingFetch = async (input, init = {}) => {
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const res = await fetch(input, init);
    const text = await res.clone().text();
    let answer;
    try { answer = JSON.parse(text); } catch { answer = text; }
    trace.push({
      method: init.method ?? 'GET',
      accept: new Headers(init.headers).get('accept'),
      sentQuery: typeof body?.query === 'string',
      sentHash: body?.extensions?.persistedQuery?.sha256Hash,
      status: res.status,
      contentType: res.headers.get('content-type'),
      codes: (answer?.errors ?? []).map((e) => e.extensions?.code),
      data: answer?.data,
    });
    return res;
  };
  const sha256 = (s) => createHash('sha256').update(s).digest('hex');
  const client = new ApolloClient({
    link: createPersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: url, fetch: tracingFetch })),
    cache: new InMemoryCache(),
  });
  // A query of this run only (the alias), so that the gateway has never
  // seen its hash, even when this test runs twice against one gateway.
  const run = `run${Date.now()}${process.pid}`;
  const query = gql`query ApqCustomer($id: ID!) { customer(id: $id) { id name ${run}: source } }`;
  const variables = { id: 'u8:00000002' };
  const expected = (await ask(`{ customer(id: "u8:00000002") { id name } }`)).customer;

  const first = await client.query({ query, variables, fetchPolicy: 'network-only' });
  assert.equal(first.data.customer.name, expected.name);
  assert.equal(first.data.customer[run], 'U8');
  const second = await client.query({ query, variables, fetchPolicy: 'network-only' });
  assert.deepEqual(second.data, first.data);

  console.log('APQ request trace:');
  trace.forEach((t, i) => console.log(`  ${i + 1}. ${t.method} accept=${t.accept} ` +
    `${t.sentQuery ? 'hash + full query' : 'hash only'} (${t.sentHash?.slice(0, 12)}…) -> HTTP ${t.status} ${t.contentType} ` +
    (t.codes.length ? `errors ${t.codes.join(',')}` : `data ${JSON.stringify(t.data)}`)));

  assert.equal(trace.length, 3, 'three requests: hash, hash + query, hash');
  const hash = trace[0].sentHash;
  assert.match(hash ?? '', /^[0-9a-f]{64}$/);
  assert.ok(trace.every((t) => t.sentHash === hash), 'the same hash every time');
  // 1: the hash alone, unknown to the gateway.
  assert.equal(trace[0].sentQuery, false);
  assert.deepEqual(trace[0].codes, ['PERSISTED_QUERY_NOT_FOUND']);
  assert.equal(trace[0].data, undefined, 'a request error has no data');
  // 2: the full query with the hash, which the gateway stores.
  assert.equal(trace[1].sentQuery, true);
  assert.equal(trace[1].status, 200);
  assert.deepEqual(trace[1].codes, []);
  // 3: the second run sends the hash only, and it is known now.
  assert.equal(trace[2].sentQuery, false);
  assert.equal(trace[2].status, 200);
  assert.deepEqual(trace[2].codes, []);
  assert.equal(trace[2].data.customer.name, expected.name);
  // The media type follows Accept (Apollo Client prefers the GraphQL one).
  for (const t of trace) {
    assert.match(t.accept, /application\/graphql-response\+json/);
    assert.equal(t.contentType, 'application/graphql-response+json; charset=utf-8');
  }
});

test('graphql-request: a query with variables, and a GraphQL error', { skip }, async () => {
  const client = new GraphQLClient(url);
  const query = rgql`query Customer($id: ID!) { customer(id: $id) { id source name } }`;
  for (const id of ['u8:00000001', 'ycm:50086120']) {
    const data = await client.request(query, { id });
    const expected = (await ask(`query($id: ID!) { customer(id: $id) { id source name } }`, { id })).customer;
    console.log(`graphql-request ${JSON.stringify({ id })} -> ${JSON.stringify(data)}`);
    assert.deepEqual(data.customer, expected);
    assert.equal(data.customer.id, id);
    assert.ok(data.customer.name.length > 0);
  }

  // A malformed ID is BAD_USER_INPUT: graphql-request throws a ClientError
  // carrying custgraph's error and the partial data.
  await assert.rejects(client.request(query, { id: 'nope' }), (err) => {
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.response.status, 200);
    assert.equal(err.response.errors[0].extensions.code, 'BAD_USER_INPUT');
    assert.deepEqual(err.response.data, { customer: null });
    return true;
  });

  // A variable of the wrong type is a request error: no data at all.
  await assert.rejects(client.request(query, { id: { not: 'an id' } }), (err) => {
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.response.errors[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.equal(err.response.data, undefined);
    return true;
  });
});
