
BlogitsJ(ìARFÁ&ÁU@ÁB2?Ávøƒ¿~iO?–ïÁµÎbÀ')>Á