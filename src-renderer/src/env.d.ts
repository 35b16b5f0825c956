/// <reference types="vite/client" />
import type { ApiClient } from '../../src-shared/api.ts';

declare global {
  interface Window {
    api?: ApiClient;
    /** Desktop only: tells the shell a sound query is being recorded (the microphone is granted only then). */
    shell?: { setRecording(active: boolean): void; /** Opens the file manager on a catalog item's file. */ reveal(itemId: number): void };
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
