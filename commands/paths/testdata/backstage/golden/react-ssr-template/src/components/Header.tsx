import React from 'react';

export const Header = () => <h1>Header</h1>;
