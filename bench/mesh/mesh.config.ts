// GraphQL Mesh peer of custgraph (benchmark only): three @omnigraph/json-schema sources over
// the simulators (docs/simulators.md), typed by the JSON schemas in schemas/ (gen-schemas.mjs
// derives them from real simulator answers in samples/, captured by capture-samples.sh),
// composed with mesh-compose into supergraph.graphql and served by Hive Gateway (serve.sh).
//
// Only the schema files are read at compose time: the base URL and the three tokens stay
// `{env.…}` placeholders in the supergraph and are filled in by the gateway on every upstream
// call from its environment (SIM_URL, U8_TOKEN, YCM_TOKEN, CRM_TOKEN; tokens.mjs fetches them).
// Mesh cannot run the vendors' token flows itself, so it is handed pre-fetched tokens and never
// spends upstream calls on auth, nor refreshes them when they expire.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { createPrefixTransform } from '@graphql-mesh/fusion-composition';
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema';

// The simulators refuse calls without a User-Agent (YCM: HTTP 403).
const UA = 'custgraph-bench-mesh';
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;

export const composeConfig = defineConfig({
  output: 'supergraph.graphql',
  // Without this, composition guesses entity keys from root fields' argument names (it made
  // CRM_MatchingName an entity keyed by `message`); these sources have no entities.
  ignoreSemanticConventions: true,
  subgraphs: [
    {
      sourceHandler: loadJSONSchemaSubgraph('U8', {
        endpoint: '{env.SIM_URL}/u8',
        operationHeaders: { 'User-Agent': UA },
        // U8 takes its credentials as query parameters on every call.
        queryParams: {
          from_account: 'demo',
          to_account: 'demo',
          app_key: 'demo-app-key',
          token: '{env.U8_TOKEN}',
          ds_sequence: '1',
        },
        operations: [
          {
            type: 'Query',
            field: 'u8Customers',
            description: 'U8 customers, one page, ordered by code (GET /api/customer/batch_get).',
            method: 'GET',
            path: '/api/customer/batch_get',
            queryParamArgMap: { page_index: 'page', rows_per_page: 'rows' },
            argTypeMap: { page: int, rows: int },
            responseSchema: './schemas/u8.json#/definitions/CustomerPage',
          },
          {
            type: 'Query',
            field: 'u8Customer',
            description: 'One U8 customer by code, e.g. "00000001" (GET /api/customer/get).',
            method: 'GET',
            path: '/api/customer/get',
            queryParamArgMap: { id: 'code' },
            argTypeMap: { code: str },
            requiredArgs: ['code'],
            responseSchema: './schemas/u8.json#/definitions/CustomerAnswer',
          },
        ],
      }),
      transforms: [createPrefixTransform({ value: 'U8_', includeRootOperations: false })],
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('YCM', {
        endpoint: '{env.SIM_URL}/ycm',
        operationHeaders: {
          'User-Agent': UA,
          Authorization: 'Bearer {env.YCM_TOKEN}',
        },
        operations: [
          {
            type: 'Query',
            field: 'ycmCustomers',
            description: 'YCM customers, one page (size at most 50), by customerId.',
            method: 'GET',
            path: '/dm/open_api/v1/customers',
            queryParamArgMap: { pageNumber: 'page', pageSize: 'size' },
            argTypeMap: { page: int, size: int },
            responseSchema: './schemas/ycm.json#/definitions/CustomerPage',
          },
        ],
      }),
      transforms: [createPrefixTransform({ value: 'YCM_', includeRootOperations: false })],
    },
    {
      sourceHandler: loadJSONSchemaSubgraph('CRM', {
        endpoint: '{env.SIM_URL}/crm',
        operationHeaders: {
          'User-Agent': UA,
          Authorization: 'Token token={env.CRM_TOKEN}, device=open_api, version_code=9.9.9',
        },
        operations: [
          {
            type: 'Query',
            field: 'crmCustomers',
            description: 'CRM customers, one page (perPage at most 100), by id.',
            method: 'GET',
            path: '/api/v2/customers',
            queryParamArgMap: { page: 'page', per_page: 'perPage' },
            argTypeMap: { page: int, perPage: int },
            responseSchema: './schemas/crm.json#/definitions/CustomerPage',
          },
          {
            type: 'Query',
            field: 'crmMatchingName',
            description: 'CRM customers whose name is exactly this (GET /api/v2/duplicates/matching_name).',
            method: 'GET',
            path: '/api/v2/duplicates/matching_name',
            queryParamArgMap: { name: 'name' },
            argTypeMap: { name: str },
            requiredArgs: ['name'],
            responseSchema: './schemas/crm.json#/definitions/MatchingName',
          },
        ],
      }),
      transforms: [createPrefixTransform({ value: 'CRM_', includeRootOperations: false })],
    },
  ],
  // Scenario (c): a U8 record's exact-name matches in the CRM, one matching_name call per row
  // (Mesh batches nothing here: matching_name takes one name).
  additionalTypeDefs: /* GraphQL */ `
    extend type U8_Customer {
      crmMatches: [CRM_Customer]
        @resolveTo(
          sourceName: "CRM"
          sourceTypeName: "Query"
          sourceFieldName: "crmMatchingName"
          requiredSelectionSet: "{ name }"
          sourceArgs: { name: "{root.name}" }
          result: "data.customers"
        )
    }
  `,
});
