// Imported first by main.ts: zod would otherwise probe `new Function` when its schemas are built, which
// a strict CSP reports as a blocked eval. Interpreted validation is plenty for one payload per output.
import { z } from 'zod';

z.config({ jitless: true });
