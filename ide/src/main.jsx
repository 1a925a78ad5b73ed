// custgraph's GraphQL IDE: GraphiQL, bundled with everything it needs (no
// CDN, no web fonts from elsewhere), posting to the gateway's /graphql.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { parse } from 'graphql';

import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import '@graphiql/react/dist/style.css';
import 'graphiql/src/style.css';
import './app.css';

import { defaultTabs } from './tabs.js';

// /graphql next to the page (the page is served at /).
const endpoint = new URL('graphql', window.location.href).href;
// GraphiQL's name for its introspection query (its default).
const introspectionQueryName = 'IntrospectionQuery';

// A plain POST with the headers of the headers editor (Authorization,
// X-API-Key, ...). Any answer is shown as is: gqlgen's 422 for validation
// errors and custgraph's 401/413/429 carry a GraphQL errors body; a body
// that is not JSON becomes one error.
async function fetcher(params, opts) {
  const res = await fetch(endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      Accept: 'application/graphql-response+json, application/json',
      ...(opts && opts.headers),
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(withCurrentOperationName(params)),
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
