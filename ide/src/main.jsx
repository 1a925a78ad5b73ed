// custgraph's GraphQL IDE: GraphiQL, bundled with everything it needs (no
// CDN, no web fonts from elsewhere), posting to the gateway's /graphql;
// subscriptions go over a WebSocket to the same /graphql (graphql-ws).
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws/client';

import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/dist/style.css';
import 'graphiql/src/style.css';
import './app.css';

import { defaultTabs } from './tabs.js';

// /graphql next to the page (the page is served at /), and the same for
// WebSockets: ws://host/graphql, or wss:// when the page came over https.
const endpoint = new URL('graphql', window.location.href).href;
const wsEndpoint = endpoint.replace(/^http/, 'ws');
// GraphiQL's name for its introspection query (its default).
const introspectionQueryName = 'IntrospectionQuery';

// A plain POST with the headers of the headers editor (Authorization,
// X-API-Key, ...). Any answer is shown as is: gqlgen's 422 for validation
// errors and custgraph's 401/413/429 carry a GraphQL errors body; a body
// that is not JSON becomes one error.
async function fetcher(params, opts) {
  params = withCurrentOperationName(params);
  if (isSubscription(params)) return subscribe(params, opts && opts.headers);
  const res = await fetch(endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      Accept: 'application/graphql-response+json, application/json',
      ...(opts && opts.headers),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(params),
  });
  const text = await res.text();
  let result;
  try {
    result = JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${res.status} ${res.statusText}: ${text.slice(0, 500)}` }] };
  }
  // Introspection refused (CUSTGRAPH_INTROSPECTION=off, or no credentials
  // yet): GraphiQL would build a schema from "__schema": null and show a
  // puzzling message, or ask a second time. Without data it shows the
  // gateway's own error once; queries still run, just without completion.
  if (params.operationName === introspectionQueryName && result && !(result.data && result.data.__schema)) {
    return { errors: result.errors || [{ message: `HTTP ${res.status}: no schema` }], data: null };
  }
  return result;
}

// GraphiQL reads the query from its editor at once but the operation name
// as it was 100 ms after the last edit: a run right after typing sends the
// old name, which the gateway refuses ("operation U8Customer not found").
// When the name is not in the document and the document has one operation,
// that operation is meant.
function withCurrentOperationName(params) {
  if (!params.operationName) return params;
  let names;
  try {
    names = parse(params.query).definitions
      .filter((d) => d.kind === 'OperationDefinition')
      .map((d) => (d.name ? d.name.value : undefined));
  } catch {
    return params; // the gateway reports the syntax error
  }
  if (names.includes(params.operationName) || names.length !== 1) return params;
  return { ...params, operationName: names[0] };
}

// Whether the operation to run is a subscription (the operation named, or
// the document's only one). A document that does not parse goes over HTTP,
// where the gateway reports the syntax error.
function isSubscription(params) {
  let ops;
  try {
    ops = parse(params.query).definitions.filter((d) => d.kind === 'OperationDefinition');
  } catch {
    return false;
  }
  const op = params.operationName ? ops.find((d) => d.name && d.name.value === params.operationName) : ops.length === 1 && ops[0];
  return Boolean(op && op.operation === 'subscription');
}

// The credentials of the headers editor, as the gateway reads them from
// connection_init's payload (a WebSocket has no headers of its own to send).
function credentials(headers) {
  const payload = {};
  for (const [name, value] of Object.entries(headers || {})) {
    if (typeof value !== 'string' || value === '') continue;
    const lower = name.toLowerCase();
    if (lower === 'authorization') payload.Authorization = value;
    else if (lower === 'x-api-key') payload['X-API-Key'] = value;
  }
  return payload;
}

// One graphql-ws client for the credentials last used: it connects with the
// first subscription and closes with the last. Other credentials in the
// headers editor make a new client (connection_init is sent once per socket).
let ws = { key: null, client: null };
function wsClient(payload) {
  const key = JSON.stringify(payload);
  if (ws.key !== key) {
    if (ws.client) ws.client.dispose();
    ws = {
      key,
      client: createClient({
        url: wsEndpoint,
        connectionParams: payload,
        // A dropped socket is reconnected and the subscription made again;
        // a refusal of the credentials (4403) is shown at once instead.
        shouldRetry: (e) => isCloseEvent(e) && e.code !== 4403,
      }),
    };
  }
  return ws.client;
}

const isCloseEvent = (e) => e !== null && typeof e === 'object' && 'code' in e && 'reason' in e;

// A subscription as an observable, which GraphiQL shows event by event in
// its result pane and ends with its stop button. Errors are shown as a
// GraphQL result, as over HTTP: the gateway's error message (a list of
// GraphQL errors), or why the socket closed.
function subscribe(params, headers) {
  const client = wsClient(credentials(headers));
  return {
    subscribe(observer) {
      const unsubscribe = client.subscribe(params, {
        next: (result) => observer.next(result),
        complete: () => observer.complete(),
        error(err) {
          let errors;
          if (Array.isArray(err)) {
            errors = err;
          } else if (isCloseEvent(err)) {
            const hint = err.code === 4403 ? ': the gateway refused the credentials (set Authorization or X-API-Key in Headers)' : '';
            errors = [{ message: `WebSocket closed with ${err.code}${err.reason ? ` ${err.reason}` : ''}${hint}` }];
          } else {
            errors = [{ message: `WebSocket: ${(err && err.message) || 'the connection failed'}` }];
          }
          observer.next({ errors });
          observer.complete();
        },
      });
      return { unsubscribe };
    },
  };
}

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      introspectionQueryName={introspectionQueryName}
      defaultTabs={defaultTabs}
      isHeadersEditorEnabled
      defaultEditorToolsVisibility="headers"
    >
      <GraphiQL.Logo>custgraph</GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
