
BlogitsJ(RüE¡w{ø¿‰¡ß`MAb∆¡8W—¿íjà¡å#¿;Ì.¡Ç¡