// Worker entry: teach this thread TypeScript (workers do not inherit tsx), then render PDFs in it.
import { register } from 'tsx/esm/api';

register();
await import('./pdf.worker.ts');
