// xmlxfun.ch: advmail's own include file. XML parser error constants.
#ifndef _ADVMAIL_XMLXFUN_CH
#define _ADVMAIL_XMLXFUN_CH
#define XERROR_SUCCESS   0
#endif
