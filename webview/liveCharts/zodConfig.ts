// Zod compiles fast parsers with `new Function` unless told not to; the webview's CSP forbids eval, and
// even zod's probe for it would be reported as a violation.
import { z } from 'zod';

z.config({ jitless: true });
