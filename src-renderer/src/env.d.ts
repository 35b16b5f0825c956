/// <reference types="vite/client" />
import type { ApiClient } from '../../src-shared/api.ts';

declare global {
  interface Window {
    api?: ApiClient;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
