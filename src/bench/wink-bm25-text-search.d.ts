// Types for the part of wink-bm25-text-search 3.x that Duet uses (the package ships none).
declare module 'wink-bm25-text-search' {
  interface Bm25Config {
    fldWeights: Record<string, number>;
    bm25Params?: { k1?: number; b?: number; k?: number };
    ovFldNames?: string[];
  }
  interface Bm25Engine {
    defineConfig(config: Bm25Config): boolean;
    definePrepTasks(tasks: ((input: string) => string[])[], field?: string): number;
    addDoc(doc: Record<string, string>, id: string): number;
    consolidate(fp?: number): boolean;
    search<P>(text: string, limit?: number, filter?: (fieldValues: Record<string, string>, params: P) => boolean, params?: P): [string, number][];
  }
  export default function bm25(): Bm25Engine;
}
