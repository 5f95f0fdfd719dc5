# SPDX-License-Identifier: Apache-2.0
# embed.cmake - turns a file into a C array, for the dashboard page.
# Usage: cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed.cmake
# Produces `const unsigned char SYMBOL[]` (NUL-terminated) and
# `const unsigned long SYMBOL_len` (length without the NUL).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by embed.cmake. Do not edit. */\n"
  "const unsigned char ${SYMBOL}[] = {\n${bytes}0x00};\n"
  "const unsigned long ${SYMBOL}_len = ${len};\n")
