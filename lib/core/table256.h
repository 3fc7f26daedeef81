/* Static 256-entry lookup tables written as an expression of the byte value,
 * so a table and the rule it encodes cannot drift apart:
 *   static const uint8_t PLAIN[256] = {GH__TABLE256(IS_PLAIN, 0)};
 * expands F(c, arg) for c = 0 .. 255. */
#ifndef GH_TABLE256_H
#define GH_TABLE256_H

#define GH__TABLE4(F, c, arg) F((c), arg), F((c) + 1, arg), F((c) + 2, arg), F((c) + 3, arg)
#define GH__TABLE16(F, c, arg)                                                                                     \
  GH__TABLE4(F, c, arg), GH__TABLE4(F, (c) + 4, arg), GH__TABLE4(F, (c) + 8, arg), GH__TABLE4(F, (c) + 12, arg)
#define GH__TABLE64(F, c, arg)                                                                                     \
  GH__TABLE16(F, c, arg), GH__TABLE16(F, (c) + 16, arg), GH__TABLE16(F, (c) + 32, arg),                            \
      GH__TABLE16(F, (c) + 48, arg)
#define GH__TABLE256(F, arg)                                                                                       \
  GH__TABLE64(F, 0, arg), GH__TABLE64(F, 64, arg), GH__TABLE64(F, 128, arg), GH__TABLE64(F, 192, arg)

#endif
