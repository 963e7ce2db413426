
BlogitsJ(5êÈ¿R—ûÀ,VÉÀÛAÚÀhÑ–Àa{Á)œA¼‰KÁTKê¿Æ*vÁ