// The tabs a first visit opens with: ready-to-run queries of the Customer
// graph on the demo data (IDs as in README.md) and a subscription to its
// changes, one file each in tabs/, with variables in a .json file of the
// same name. GraphiQL titles each tab by its operation name; once edited,
// the tabs live in localStorage.
// internal/ide's tests validate every query against the schema.
import u8 from './tabs/1-u8.graphql';
import ycm from './tabs/2-ycm.graphql';
import crm from './tabs/3-crm.graphql';
import matches from './tabs/4-matches.graphql';
import paging from './tabs/5-paging.graphql';
import pagingVariables from './tabs/5-paging.json';
import sources from './tabs/6-sources.graphql';
import directory from './tabs/7-directory.graphql';
import changes from './tabs/8-changes.graphql';

export const defaultTabs = [
  { query: u8 },
  { query: ycm },
  { query: crm },
  { query: matches },
  { query: paging, variables: JSON.stringify(pagingVariables, null, 2) },
  { query: sources },
  { query: directory },
  { query: changes },
];
