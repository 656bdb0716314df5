// totvsmail.ch: advmail's own include file. Same mail commands as ap5mail.ch.
#include "ap5mail.ch"
