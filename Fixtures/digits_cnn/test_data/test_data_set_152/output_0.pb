
BlogitsJ(CÁVa‘Á”°ÈÁbQßÀÜ"¡ÀÇ A¿¹ÛÀvf$Á«y@Áæ½—À