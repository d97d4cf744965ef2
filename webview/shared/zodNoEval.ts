// Imported first by each webview entry point. Zod compiles fast parsers with `new Function` unless told
// not to; a webview's strict CSP forbids eval, and even zod's probe for it is reported as a violation.
import { z } from 'zod';

z.config({ jitless: true });
