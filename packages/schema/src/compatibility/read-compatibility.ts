/**
 * The direction-free question every compatibility mode is built from: can a consumer holding the
 * `reader` schema read every value that is valid under the `writer` schema? Each reason it cannot
 * is one {@link ReadIncompatibility}.
 */
export interface ReadIncompatibility {
  /** A JSON pointer into the schemas where the difference is, e.g. `/properties/total/type`. */
  readonly path: string;
  /** A stable name of the kind of change, e.g. `TYPE_NARROWED`; see each format's list. */
  readonly kind: string;
  /** What differs and why the reader cannot read what the writer writes. */
  readonly message: string;
}
