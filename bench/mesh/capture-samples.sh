#!/bin/sh
# Re-captures the response samples in samples/ from a running simulator (real answers, as the
# json-schema sources build their GraphQL types from them). Run from anywhere:
#   SIM_URL=http://127.0.0.1:19090 sh bench/mesh/capture-samples.sh
# The simulator must run with the default data set (-seed 0 -customers 300). Pages of 50 rows (20 for the CRM, whose 20 first records already hold every field)
# are taken so that every optional field of each vendor shows up in at least one record.
set -eu
cd "$(dirname "$0")"
: "${SIM_URL:=http://127.0.0.1:9090}"
export SIM_URL
eval "$(node tokens.mjs)"
S=$SIM_URL
U8Q="from_account=demo&to_account=demo&app_key=demo-app-key&token=$U8_TOKEN&ds_sequence=1"
CRM_AUTH="Authorization: Token token=$CRM_TOKEN, device=open_api, version_code=9.9.9"
mkdir -p samples
pretty() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s),null,1)+"\n"))'; }

curl -sSf "$S/u8/api/customer/batch_get?$U8Q&page_index=1&rows_per_page=50" | pretty >samples/u8-customer-batch_get.json
curl -sSf "$S/u8/api/customer/get?$U8Q&id=00000007" | pretty >samples/u8-customer-get.json
curl -sSf -H "Authorization: Bearer $YCM_TOKEN" "$S/ycm/dm/open_api/v1/customers?pageNumber=1&pageSize=50" | pretty >samples/ycm-customers.json
curl -sSf -H "$CRM_AUTH" "$S/crm/api/v2/customers?page=1&per_page=20" | pretty >samples/crm-customers.json
# An exact-name hit: the first CRM customer's name.
NAME=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("samples/crm-customers.json","utf8")).data.customers[0].name)')
curl -sSf -G -H "$CRM_AUTH" --data-urlencode "name=$NAME" "$S/crm/api/v2/duplicates/matching_name" | pretty >samples/crm-matching_name.json
ls -l samples
