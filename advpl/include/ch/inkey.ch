// inkey.ch: advmail's own include file. Key codes returned by Inkey().
#ifndef _ADVMAIL_INKEY_CH
#define _ADVMAIL_INKEY_CH
#define K_UP        5
#define K_DOWN      24
#define K_LEFT      19
#define K_RIGHT     4
#define K_HOME      1
#define K_END       6
#define K_PGUP      18
#define K_PGDN      3
#define K_ENTER     13
#define K_RETURN    13
#define K_SPACE     32
#define K_ESC       27
#define K_TAB       9
#define K_BS        8
#define K_DEL       7
#define K_INS       22
#define K_F1        28
#define K_F2        -1
#define K_F3        -2
#define K_F4        -3
#define K_F5        -4
#define K_F6        -5
#define K_F7        -6
#define K_F8        -7
#define K_F9        -8
#define K_F10       -9
#define K_F11       -40
#define K_F12       -41
#endif
