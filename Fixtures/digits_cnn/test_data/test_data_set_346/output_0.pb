
BlogitsJ(	д╪юzC┴аFUа
Ч·юdа#8pю\╕арёGа╦NXю⌡эи@