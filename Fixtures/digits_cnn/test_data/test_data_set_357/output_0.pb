
BlogitsJ(и'БUQБРЇБEHA†.]Б:BKБ5RБm#ААu№АыБ