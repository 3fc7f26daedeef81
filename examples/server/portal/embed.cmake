# Writes OUT, a C file holding the portal's files as byte arrays (portal_assets.h):
#   cmake -DSRC=examples/server/portal -DOUT=portal_assets.c -P embed.cmake
set(files "index.html|/portal|text/html" "portal.js|/portal/portal.js|text/javascript"
          "portal.css|/portal/portal.css|text/css")
set(arrays "")
set(table "")
set(i 0)
foreach(entry IN LISTS files)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 file)
  list(GET parts 1 url)
  list(GET parts 2 type)
  file(READ "${SRC}/${file}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR len "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "static const unsigned char asset_${i}[] = {${bytes}};\n")
  string(APPEND table "  {\"${url}\", \"${type}; charset=utf-8\", asset_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "/* Generated from examples/server/portal by embed.cmake: edit those files, not this one. */\n"
  "#include \"portal_assets.h\"\n\n${arrays}\nconst portal_asset portal_assets[] = {\n${table}};\n"
  "const size_t portal_asset_count = sizeof portal_assets / sizeof portal_assets[0];\n")
file(RENAME "${OUT}.tmp" "${OUT}")
