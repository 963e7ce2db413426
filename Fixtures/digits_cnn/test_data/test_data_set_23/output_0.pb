
BlogitsJ(¶ïíÀp÷¿tIwÁ˜’ÁI9ANèÅÀ¦dÚÀMÒpÀ
òÁ\SÁ