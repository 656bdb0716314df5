// colors.ch: advmail's own include file. Colour constants (BGR numbers).
#ifndef _ADVMAIL_COLORS_CH
#define _ADVMAIL_COLORS_CH
#define CLR_BLACK      0
#define CLR_BLUE       8388608
#define CLR_GREEN      32768
#define CLR_CYAN       8421376
#define CLR_RED        128
#define CLR_MAGENTA    8388736
#define CLR_BROWN      32896
#define CLR_HGRAY      12632256
#define CLR_GRAY       8421504
#define CLR_HBLUE      16711680
#define CLR_HGREEN     65280
#define CLR_HCYAN      16776960
#define CLR_HRED       255
#define CLR_HMAGENTA   16711935
#define CLR_YELLOW     65535
#define CLR_WHITE      16777215
#endif
