// fwmvcdef.ch: advmail's own include file. MVC operation constants.
#ifndef _ADVMAIL_FWMVCDEF_CH
#define _ADVMAIL_FWMVCDEF_CH
#define MODEL_OPERATION_VIEW    1
#define MODEL_OPERATION_INSERT  3
#define MODEL_OPERATION_UPDATE  4
#define MODEL_OPERATION_DELETE  5
#define MODEL_OPERATION_ONLYUPDATE 6
#endif
