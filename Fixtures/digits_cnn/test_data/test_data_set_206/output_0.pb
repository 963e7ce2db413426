
BlogitsJ(œ1ÁúZÁè6¢Àb=[AÉ’`ÁfÁx Á®tgÀøÁBËñÀ