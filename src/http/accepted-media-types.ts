/**
 * The media types an Accept header asks for, most wanted first: by `q`, then in the header's order; a type
 * with `q=0` is refused, not asked for, and left out. Lower case, without their parameters.
 */
export function acceptedMediaTypes(accept: string | undefined): string[] {
  if (!accept) return [];
  return accept
    .split(",")
    .map((part, order) => {
      const [type, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
      const q = params.find((p) => p.startsWith("q="));
      return { type, q: q ? Number(q.slice(2)) : 1, order };
    })
    .filter((range) => range.type && !(range.q <= 0))
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map((range) => range.type);
}
