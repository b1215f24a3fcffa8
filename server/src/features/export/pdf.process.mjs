// Entry of the PDF process: teach it TypeScript (it is started without tsx), then render PDFs in it.
import { register } from 'tsx/esm/api';

register();
await import('./pdf.process.ts');
