// Names of the rows of a multi-row attention (perHead metrics) as the live charts and their CSV show them.

/** "head 1", "branch 2"; classes keep their 0-based label ("class 0"), as the data's labels do. */
export function headLabel(row: string, index: number): string {
  return row === 'class' ? `class ${index}` : `${row} ${index + 1}`;
}
