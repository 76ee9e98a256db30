// pages/actions.js - the actions page (not built yet).
import { soon } from './soon.js';

export const render = soon('nav.actions');
