/** njs.version_number: 0xMMmmpp, there since njs 0.7.4. */
export function njsVersion(): number {
  return (njs as unknown as { version_number: number }).version_number;
}
