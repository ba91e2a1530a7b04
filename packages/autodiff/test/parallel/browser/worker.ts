// The pool's module worker script: the worker loop, the same as in Node.
import { type RequestPort, serveScope } from '../../../src/parallel/browser.js';

serveScope(self as unknown as RequestPort);
