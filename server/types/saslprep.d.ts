declare module 'saslprep' {
  export default function saslprep(input: string, opts?: { allowUnassigned?: boolean }): string;
}
