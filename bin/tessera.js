#!/usr/bin/env node
// Entry for `npx tessera`: runs the TypeScript CLI through tsx's loader, so a checkout needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
