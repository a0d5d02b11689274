export async function runInlet(_args: readonly string[]): Promise<number> { return 0; }
