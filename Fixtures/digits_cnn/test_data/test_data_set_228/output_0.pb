
BlogitsJ(MÖ4Á$GÁÊ7Á#ËpAªH=Á'D­ÀU¨IÁÁf'Áw©ªÀ