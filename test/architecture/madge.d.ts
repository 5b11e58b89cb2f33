// The part of madge's API the import-cycle test uses (madge ships no types).
declare module 'madge' {
  interface MadgeConfig {
    fileExtensions?: string[];
    tsConfig?: string;
  }
  interface MadgeResult {
    /** Each file (relative to the root given) and the files it imports. */
    obj(): Record<string, string[]>;
    /** The file cycles, each as the files around it. */
    circular(): string[][];
  }
  export default function madge(path: string, config?: MadgeConfig): Promise<MadgeResult>;
}
