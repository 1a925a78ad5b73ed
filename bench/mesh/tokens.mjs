// Fetches the three vendor tokens from the simulators with the demo credentials
// (docs/simulators.md), because GraphQL Mesh's json-schema sources cannot run these
// auth flows themselves: the Mesh peer is handed pre-fetched tokens in its env
// (U8_TOKEN, YCM_TOKEN, CRM_TOKEN) and never spends upstream calls on auth.
//
//   SIM_URL=http://127.0.0.1:19090 node tokens.mjs   # prints `export U8_TOKEN=…` lines
//   eval "$(SIM_URL=… node tokens.mjs)"
//
// or, from Node: import { fetchTokens } from './tokens.mjs'.
//
// Mind the lifetimes: the YCM token lives 1800 s and the U8 token 7200 s; a CRM login
// ends the account's previous CRM session, so a custgraph pointed at the same simulator
// logs Mesh's CRM token out (and the other way round). Give each peer its own simulator.

import { pathToFileURL } from 'node:url';

export const DEMO = {
  u8: { from_account: 'demo', to_account: 'demo', app_key: 'demo-app-key', app_secret: 'demo-app-secret' },
  ycm: { client_id: 'demo-client', client_secret: 'demo-secret' },
  crm: { login: '13800000000', password: 'demo-password', device: 'open_api', version_code: '9.9.9' },
};

const UA = 'custgraph-bench-mesh-tokens';

async function json(res, what) {
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${what}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  return body;
}

export async function u8Token(sim) {
  const q = new URLSearchParams({
    from_account: DEMO.u8.from_account,
    app_key: DEMO.u8.app_key,
    app_secret: DEMO.u8.app_secret,
  });
  const res = await fetch(`${sim}/u8/system/token?${q}`, { headers: { 'User-Agent': UA } });
  const body = await json(res, 'u8 token');
  if (body.errcode !== '0' || !body.token?.id) throw new Error(`u8 token: ${JSON.stringify(body)}`);
  return body.token.id;
}

export async function ycmToken(sim) {
  const res = await fetch(`${sim}/ycm/dm/open_api/oauth/token`, {
    method: 'POST',
    headers: { 'User-Agent': UA, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...DEMO.ycm }),
  });
  const body = await json(res, 'ycm token');
  if (!res.ok || !body.access_token) throw new Error(`ycm token: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function crmToken(sim) {
  const res = await fetch(`${sim}/crm/api/v2/auth/login`, {
    method: 'POST',
    headers: { 'User-Agent': UA, 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO.crm),
  });
  const body = await json(res, 'crm login');
  if (body.code !== 0 || !body.data?.user_token) throw new Error(`crm login: ${JSON.stringify(body)}`);
  return body.data.user_token;
}

export async function fetchTokens(sim = process.env.SIM_URL || 'http://127.0.0.1:9090') {
  sim = sim.replace(/\/+$/, '');
  const [U8_TOKEN, YCM_TOKEN, CRM_TOKEN] = await Promise.all([u8Token(sim), ycmToken(sim), crmToken(sim)]);
  return { SIM_URL: sim, U8_TOKEN, YCM_TOKEN, CRM_TOKEN };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const tokens = await fetchTokens();
    for (const [k, v] of Object.entries(tokens)) console.log(`export ${k}='${v}'`);
  } catch (err) {
    console.error(`tokens.mjs: ${err.message}`);
    process.exit(1);
  }
}
