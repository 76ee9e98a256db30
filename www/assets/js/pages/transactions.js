// pages/transactions.js - the transactions page (not built yet).
import { soon } from './soon.js';

export const render = soon('nav.transactions');
